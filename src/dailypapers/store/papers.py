"""Paper reads and idempotent batch upserts keyed on the canonical arXiv id, then the title."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from dailypapers.arxiv_ids import abs_url, pdf_url
from dailypapers.models import Paper, PaperRecord
from dailypapers.safety import MAX_INT, http_url
from dailypapers.store.schema import (
    paper_authors,
    paper_categories,
    papers,
    title_lookups,
    utcnow,
    votes,
)
from dailypapers.titles import title_key

_PAPER_FIELDS = (
    "arxiv_id", "arxiv_version", "title", "abstract", "published_at", "updated_at",
    "code_url", "project_url", "github_stars", "ai_summary", "ai_keywords", "thumbnail_url",
    "hf_paper",
)  # fmt: skip
_SHOWN_FIELDS = tuple(f for f in _PAPER_FIELDS if f != "hf_paper")
"""What a Paper carries. HF's own paper object (3.6 KB of JSON a paper on the sample, up to
47 KB) is not among them: only the JSON API gives it back, and it reads the stored text itself
(store.features). Decoding it for every paper of a search page cost about a third of the
page's CPU time."""


@dataclass(slots=True)
class UpsertResult:
    """Per-record outcome of a batch upsert, in input order, and the paper ids written."""

    outcomes: list[str] = field(default_factory=list)
    paper_ids: list[int] = field(default_factory=list)


def content_hash(record: PaperRecord) -> str:
    """A digest of everything stored about the paper itself (not its features)."""
    data = {name: getattr(record, name) for name in _PAPER_FIELDS}
    data.update(authors=record.authors, categories=record.categories, upvotes=record.upvotes)
    blob = json.dumps(data, default=_json_default, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"unhashable {type(value).__name__}")


def merge(old: PaperRecord, new: PaperRecord) -> PaperRecord:
    """New values win, but an absent value never erases a known one; upvotes never go down."""
    merged = dataclasses.replace(old)
    for f in dataclasses.fields(PaperRecord):
        if f.name in ("feature", "upvotes"):
            continue
        value = getattr(new, f.name)
        if value not in (None, "", []):
            setattr(merged, f.name, value)
    merged.upvotes = max(old.upvotes, new.upvotes)
    merged.feature = new.feature
    return merged


def authors_text(authors: Sequence[str]) -> str:
    """The authors as the papers row holds them for the keyword index (migration 0004)."""
    return ", ".join(authors)


def paper_row(slot: Slot) -> dict[str, Any]:
    """The papers row for a slot (every column but id and created_at)."""
    record = slot.record
    row = {name: getattr(record, name) for name in _PAPER_FIELDS}
    row.update(
        title_key=slot.key or title_key(record.title),
        authors_text=authors_text(record.authors),
        imported_upvotes=record.upvotes,
        content_hash=slot.hash,
        arxiv_url=abs_url(record.arxiv_id) if record.arxiv_id else None,
        pdf_url=pdf_url(record.arxiv_id) if record.arxiv_id else None,
        modified_at=utcnow(),
    )
    return row


_IDS: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)
# Built once: a page's paper reads rebuilt these statements (and their cache keys) each time.
_AUTHORS_OF = (
    sa.select(paper_authors.c.paper_id, paper_authors.c.name)
    .where(paper_authors.c.paper_id.in_(_IDS))
    .order_by(paper_authors.c.paper_id, paper_authors.c.position)
)
_CATEGORIES_OF = (
    sa.select(paper_categories.c.paper_id, paper_categories.c.category)
    .where(paper_categories.c.paper_id.in_(_IDS))
    .order_by(paper_categories.c.paper_id, paper_categories.c.position)
)
# Upvotes counted per paper through ix_votes_paper_id: a grouped count of the whole votes
# table joined here was computed in full on every page, however few papers it showed.
_LOCAL_VOTES = (
    sa.select(sa.func.count())
    .where(votes.c.paper_id == papers.c.id)
    .scalar_subquery()
    .label("local_votes")
)
_SHOWN_PAPERS = sa.select(*(c for c in papers.c if c.name != "hf_paper"), _LOCAL_VOTES).where(
    papers.c.id.in_(_IDS)
)


def _load_records(
    conn: sa.Connection, rows: Sequence[sa.Row[Any]], fields: Sequence[str] = _PAPER_FIELDS
) -> dict[int, PaperRecord]:
    """Rebuild PaperRecords (with authors and categories) for the given paper rows, which
    hold the columns ``fields`` (the others keep the record's defaults)."""
    ids = [r.id for r in rows]
    authors: dict[int, list[str]] = {i: [] for i in ids}
    cats: dict[int, list[str]] = {i: [] for i in ids}
    for paper_id, name in conn.execute(_AUTHORS_OF, {"ids": ids}).all():
        authors[paper_id].append(name)
    for paper_id, category in conn.execute(_CATEGORIES_OF, {"ids": ids}).all():
        cats[paper_id].append(category)
    return {
        r.id: PaperRecord(
            **{name: getattr(r, name) for name in fields},
            authors=authors[r.id],
            categories=cats[r.id],
            upvotes=r.imported_upvotes,
        )
        for r in rows
    }


def _find_existing(
    conn: sa.Connection, batch: Sequence[PaperRecord], keys: Sequence[str]
) -> list[int | None]:
    """The existing paper id for each record: same arXiv id, else same title key (`keys`,
    the records' title keys)."""
    ids = {r.arxiv_id for r in batch if r.arxiv_id}
    by_id: dict[str, int] = {}
    if ids:
        q = sa.select(papers.c.id, papers.c.arxiv_id).where(papers.c.arxiv_id.in_(ids))
        by_id = {row.arxiv_id: row.id for row in conn.execute(q)}
    unmatched = [(r, k) for r, k in zip(batch, keys, strict=True) if r.arxiv_id not in by_id]
    if not _any_untagged(conn):  # a record with an arXiv id can only join one without by title
        unmatched = [(r, k) for r, k in unmatched if not r.arxiv_id]
    wanted = {k for _, k in unmatched}
    by_key: dict[str, list[tuple[int, str | None]]] = {}
    if wanted:
        q = sa.select(papers.c.id, papers.c.arxiv_id, papers.c.title_key).where(
            papers.c.title_key.in_(wanted)
        )
        for row in conn.execute(q.order_by(papers.c.id)):
            by_key.setdefault(row.title_key, []).append((row.id, row.arxiv_id))
    return [_match(r, k, by_id, by_key) for r, k in zip(batch, keys, strict=True)]


def _any_untagged(conn: sa.Connection) -> bool:
    """Whether any stored paper lacks an arXiv id (one probe of the arxiv_id index)."""
    q = sa.select(papers.c.id).where(papers.c.arxiv_id.is_(None)).limit(1)
    return conn.execute(q).first() is not None


def _match(
    record: PaperRecord,
    key: str,
    by_id: dict[str, int],
    by_key: dict[str, list[tuple[int, str | None]]],
) -> int | None:
    if record.arxiv_id and record.arxiv_id in by_id:
        return by_id[record.arxiv_id]
    for paper_id, arxiv_id in by_key.get(key, []):
        # A title match only joins records that cannot be told apart by arXiv id.
        if arxiv_id is None or record.arxiv_id is None:
            return paper_id
    return None


def write_children(conn: sa.Connection, slots: Sequence[Slot]) -> None:
    """Replace the authors and categories of these papers in four statements."""
    ids = [s.paper_id for s in slots]
    if not ids:
        return
    conn.execute(sa.delete(paper_authors).where(paper_authors.c.paper_id.in_(ids)))
    conn.execute(sa.delete(paper_categories).where(paper_categories.c.paper_id.in_(ids)))
    authors, cats = child_rows(slots)
    if authors:
        conn.execute(
            paper_authors.insert(), [dict(zip(AUTHOR_COLUMNS, a, strict=True)) for a in authors]
        )
    if cats:
        conn.execute(
            paper_categories.insert(), [dict(zip(CATEGORY_COLUMNS, c, strict=True)) for c in cats]
        )


AUTHOR_COLUMNS = ("paper_id", "position", "name")
CATEGORY_COLUMNS = ("paper_id", "position", "category")
ChildRow = tuple[int, int, str]


def child_rows(slots: Sequence[Slot]) -> tuple[list[ChildRow], list[ChildRow]]:
    """The paper_authors and paper_categories rows of these papers (AUTHOR_COLUMNS,
    CATEGORY_COLUMNS order); a category listed twice is kept once, at its first place."""
    authors = [(s.paper_id, i, name) for s in slots for i, name in enumerate(s.record.authors)]
    cats = [
        (s.paper_id, i, c) for s in slots for i, c in enumerate(dict.fromkeys(s.record.categories))
    ]
    return authors, cats


@dataclass(slots=True)
class Slot:
    """One paper the batch will write: its final merged record and what it was before."""

    record: PaperRecord
    hash: str
    paper_id: int = 0
    original: PaperRecord | None = None
    original_hash: str | None = None
    key: str = ""
    """The title key of `record`'s title, computed once per record (it was four times)."""

    @property
    def changed(self) -> bool:
        return self.hash != self.original_hash

    @property
    def text_changed(self) -> bool:
        """Whether what the keyword index holds (title, abstract, authors) changes."""
        old, new = self.original, self.record
        return old is None or (old.title, old.abstract, old.authors) != (
            new.title,
            new.abstract,
            new.authors,
        )

    @property
    def children_changed(self) -> bool:
        old = self.original
        return old is None or (old.authors, old.categories) != (
            self.record.authors,
            self.record.categories,
        )


def _lookup_keys(record: PaperRecord, key: str) -> list[str]:
    """Batch keys that identify the same paper (`key`: the record's title key); titles join
    only records lacking an id."""
    return [f"id:{record.arxiv_id}", f"untagged:{key}"] if record.arxiv_id else [f"title:{key}"]


def _register(by_key: dict[str, Slot], slot: Slot) -> None:
    """Make a slot findable by later records of the batch under its current identity."""
    key = slot.key
    by_key[f"title:{key}"] = slot
    if slot.record.arxiv_id:
        by_key[f"id:{slot.record.arxiv_id}"] = slot
        if by_key.get(f"untagged:{key}") is slot:
            del by_key[f"untagged:{key}"]
    else:
        by_key[f"untagged:{key}"] = slot


def upsert_papers(
    conn: sa.Connection, batch: Sequence[PaperRecord], hashes: Hashes = None
) -> UpsertResult:
    """Insert new papers and update changed ones; outcomes are 'inserted'/'updated'/'unchanged'.

    Records are first resolved to one slot per paper (`plan_upsert`), then written with a
    handful of statements per batch. Running the same batch twice reports everything
    unchanged the second time. `store.bulk` writes the same plan faster for large imports.
    """
    plan = plan_upsert(conn, batch, hashes)
    _flush(conn, plan)
    return plan.result()


@dataclass(slots=True)
class UpsertPlan:
    """What one batch will write: each record's outcome and slot (in input order), and the
    distinct slots, split into papers to insert and papers whose stored row changes."""

    outcomes: list[str]
    placed: list[Slot]
    new: list[Slot]
    changed: list[Slot]

    def result(self) -> UpsertResult:
        """The outcomes and paper ids, once the slots are written (ids assigned)."""
        return UpsertResult(self.outcomes, [s.paper_id for s in self.placed])

    @property
    def with_new_children(self) -> list[Slot]:
        """Papers whose authors or categories must be (re)written."""
        return [s for s in self.new + self.changed if s.children_changed]


Hashes = Sequence[str | None] | None
"""Each record's `content_hash` where already known (None: compute it)."""


def plan_upsert(
    conn: sa.Connection, batch: Sequence[PaperRecord], hashes: Hashes = None
) -> UpsertPlan:
    """Resolve each record to one slot per paper: a stored paper it matches (by arXiv id,
    else title key), an earlier record of the batch, or a new paper; merge into the slot."""
    keys = [title_key(r.title) for r in batch]
    matches = _find_existing(conn, batch, keys)
    rows = conn.execute(sa.select(papers).where(papers.c.id.in_({m for m in matches if m}))).all()
    known = _load_records(conn, rows)
    by_key: dict[str, Slot] = {}
    for row in rows:
        old, digest = known[row.id], row.content_hash
        by_key[f"pid:{row.id}"] = Slot(old, digest, row.id, old, digest, row.title_key)
    placed: list[Slot] = []
    outcomes: list[str] = []
    known_hashes = hashes or [None] * len(batch)
    for record, key, match, digest in zip(batch, keys, matches, known_hashes, strict=True):
        found = [f"pid:{match}"] if match else _lookup_keys(record, key)
        slot = next((by_key[k] for k in found if k in by_key), None)
        if slot is None:
            slot = Slot(record, digest or content_hash(record), key=key)
            outcomes.append("inserted")
        else:
            before = slot.hash
            slot.record = merge(slot.record, record)
            slot.key = key if slot.record.title == record.title else title_key(slot.record.title)
            slot.hash = content_hash(slot.record)
            outcomes.append("unchanged" if slot.hash == before else "updated")
        _register(by_key, slot)
        placed.append(slot)
    slots = list({id(s): s for s in placed}.values())
    new = [s for s in slots if s.original is None]
    changed = [s for s in slots if s.original is not None and s.changed]
    return UpsertPlan(outcomes, placed, new, changed)


def _flush(conn: sa.Connection, plan: UpsertPlan) -> None:
    if plan.new:
        stmt = papers.insert().returning(papers.c.id, sort_by_parameter_order=True)
        ids = conn.execute(stmt, [paper_row(s) for s in plan.new]).scalars().all()
        for slot, pid in zip(plan.new, ids, strict=True):
            slot.paper_id = pid
    if plan.changed:
        update = sa.update(papers).where(papers.c.id == sa.bindparam("pid"))
        conn.execute(update, [{"pid": s.paper_id, **paper_row(s)} for s in plan.changed])
    write_children(conn, plan.with_new_children)


def get_papers(conn: sa.Connection, ids: Sequence[int]) -> list[Paper]:
    """Papers by id, in the order asked, with upvotes = imported + cast here."""
    ids = [i for i in ids if 0 < i <= MAX_INT]  # others cannot be stored, so name no paper
    if not ids:
        return []
    rows: Sequence[Any] = conn.execute(_SHOWN_PAPERS, {"ids": sorted(set(ids))}).all()
    records = _load_records(conn, rows, _SHOWN_FIELDS)
    by_id = {r.id: _to_paper(r, records[r.id]) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def _to_paper(row: sa.Row[Any], record: PaperRecord) -> Paper:
    """The paper as every page, feed, email and API answer shows it; links pass
    `safety.http_url` again here, so a row stored before that check (or edited by hand)
    cannot put a `javascript:` or `data:` link in front of anyone."""
    return Paper(
        id=row.id,
        title=record.title,
        abstract=record.abstract,
        authors=record.authors,
        categories=record.categories,
        arxiv_id=record.arxiv_id,
        published_at=record.published_at,
        updated_at=record.updated_at,
        arxiv_url=http_url(row.arxiv_url),
        pdf_url=http_url(row.pdf_url),
        code_url=http_url(record.code_url),
        project_url=http_url(record.project_url),
        github_stars=record.github_stars,
        ai_summary=record.ai_summary,
        ai_keywords=list(record.ai_keywords or []),
        thumbnail_url=http_url(record.thumbnail_url),
        upvotes=row.imported_upvotes + row.local_votes,
        local_upvotes=row.local_votes,
    )


def paper_id_for_arxiv(conn: sa.Connection, arxiv_id: str) -> int | None:
    """The stored paper with this canonical arXiv id, if any."""
    q = sa.select(papers.c.id).where(papers.c.arxiv_id == arxiv_id)
    return conn.execute(q).scalar_one_or_none()


def count_papers(conn: sa.Connection) -> int:
    """How many papers are stored."""
    return conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()


def paper_for_title_key(conn: sa.Connection, key: str) -> tuple[int, str | None] | None:
    """(id, arXiv id) of the paper stored under a normalised title, preferring one without an
    arXiv id (papers without one are keyed by their title; see `_match`)."""
    q = (
        sa.select(papers.c.id, papers.c.arxiv_id)
        .where(papers.c.title_key == key)
        .order_by(papers.c.arxiv_id.is_not(None), papers.c.id)
        .limit(1)
    )
    row = conn.execute(q).first()
    return (row.id, row.arxiv_id) if row else None


def titles_to_look_up(
    conn: sa.Connection, *, tried_before: datetime, limit: int
) -> list[tuple[int, str]]:
    """(id, title) of papers without an arXiv id not looked up since `tried_before`."""
    q = (
        sa.select(papers.c.id, papers.c.title)
        .outerjoin(title_lookups, title_lookups.c.paper_id == papers.c.id)
        .where(
            papers.c.arxiv_id.is_(None),
            sa.or_(title_lookups.c.tried_at.is_(None), title_lookups.c.tried_at < tried_before),
        )
        .order_by(papers.c.id)
        .limit(limit)
    )
    return [(row.id, row.title) for row in conn.execute(q)]


def mark_looked_up(conn: sa.Connection, paper_ids: Sequence[int], now: datetime) -> None:
    """Remember that these titles were looked up (and found nothing) at `now`."""
    if not paper_ids:
        return
    conn.execute(title_lookups.delete().where(title_lookups.c.paper_id.in_(paper_ids)))
    conn.execute(title_lookups.insert(), [{"paper_id": i, "tried_at": now} for i in paper_ids])


def paper_keys_by_date(
    conn: sa.Connection, *, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[datetime, int]]:
    """(published_at, id) of papers with an arXiv id and a date, newest first, after a key
    (the JSON API's `/api/papers` cursor)."""
    q = sa.select(papers.c.published_at, papers.c.id).where(
        papers.c.arxiv_id.is_not(None), papers.c.published_at.is_not(None)
    )
    if after is not None:
        when, pid = after
        q = q.where(
            sa.or_(
                papers.c.published_at < when,
                sa.and_(papers.c.published_at == when, papers.c.id < pid),
            )
        )
    q = q.order_by(papers.c.published_at.desc(), papers.c.id.desc()).limit(limit)
    return [(r.published_at, r.id) for r in conn.execute(q)]
