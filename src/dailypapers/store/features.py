"""Daily features: which paper was featured on which date, by whom. Every query on feature
rows lives here (feeds, trending, the JSON API, profiles, curator writes)."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from dailypapers.models import ApiEntry, FeatureRecord, FeedEntry, HfJson, SentItem
from dailypapers.safety import http_url
from dailypapers.store.papers import get_papers
from dailypapers.store.schema import comments, features, paper_authors, users, utcnow, votes
from dailypapers.store.schema import papers as papers_table

FeatureKey = tuple[int, date]


class _Feature(NamedTuple):
    id: int
    submitted_by_id: int | None
    imported_comments: int
    hf_item: HfJson | None


_Known = dict[tuple[int, date], _Feature]


def upsert_features(
    conn: sa.Connection,
    items: Sequence[tuple[int, FeatureRecord]],
    *,
    submitter_ids: dict[str, int],
) -> list[bool]:
    """Feature each paper on its date once; returns, per item, whether anything changed.

    New features are inserted in one statement; changed ones updated in one more.
    """
    known = _known_features(conn, {pid for pid, _ in items})
    fresh: dict[tuple[int, date], dict[str, object]] = {}
    changed: dict[int, _Feature] = {}
    outcomes = []
    for pid, feature in items:
        key, submitter = (pid, feature.feature_date), submitter_ids.get(feature.submitted_by or "")
        row = known.get(key)
        if row is None:
            outcomes.append(key not in fresh)
            fresh.setdefault(key, _new_row(pid, feature, submitter))
            continue
        wanted = _Feature(
            row.id,
            submitter or row.submitted_by_id,
            max(feature.num_comments, row.imported_comments),
            feature.hf_item if feature.hf_item is not None else row.hf_item,
        )
        outcomes.append(wanted != row)
        if wanted != row:
            known[key] = changed[row.id] = wanted
    if fresh:
        conn.execute(features.insert(), list(fresh.values()))
    if changed:
        stmt = sa.update(features).where(features.c.id == sa.bindparam("fid"))
        conn.execute(stmt, [_changes(f) for f in changed.values()])
    return outcomes


def _known_features(conn: sa.Connection, paper_ids: set[int]) -> _Known:
    if not paper_ids:
        return {}
    q = sa.select(
        features.c.paper_id,
        features.c.feature_date,
        features.c.id,
        features.c.submitted_by_id,
        features.c.imported_comments,
        features.c.hf_item,
    ).where(features.c.paper_id.in_(paper_ids))
    return {(r.paper_id, r.feature_date): _Feature(*r[2:]) for r in conn.execute(q)}


def _new_row(paper_id: int, feature: FeatureRecord, submitter: int | None) -> dict[str, object]:
    return {
        "paper_id": paper_id,
        "feature_date": feature.feature_date,
        "submitted_by_id": submitter,
        "submitted_at": feature.submitted_at or utcnow(),
        "imported_comments": feature.num_comments,
        "hf_item": feature.hf_item,
    }


def _changes(feature: _Feature) -> dict[str, object]:
    return {
        "fid": feature.id,
        "submitted_by_id": feature.submitted_by_id,
        "imported_comments": feature.imported_comments,
        "hf_item": feature.hf_item,
    }


def latest_feature_date(conn: sa.Connection, *, on_or_before: date | None = None) -> date | None:
    """The most recent date with featured papers (optionally not after a given date)."""
    q = sa.select(sa.func.max(features.c.feature_date))
    if on_or_before:
        q = q.where(features.c.feature_date <= on_or_before)
    return conn.execute(q).scalar_one_or_none()


def featured_between(conn: sa.Connection, start: date, end: date) -> list[FeedEntry]:
    """Features with start <= date <= end, best first (upvotes, then newest submission)."""
    entries = _feed_entries(conn, features.c.feature_date.between(start, end))
    entries.sort(key=lambda e: (e.paper.upvotes, e.submitted_at), reverse=True)
    return entries


def features_by_key(conn: sa.Connection, keys: Collection[tuple[int, date]]) -> list[FeedEntry]:
    """The features with these (paper id, date) keys, in no set order; unknown keys are skipped.

    For callers that page features themselves (the JSON API): loading whole feed days to
    pick a few entries out of them cost far more than the page itself.
    """
    if not keys:
        return []
    key = sa.tuple_(features.c.paper_id, features.c.feature_date)
    return _feed_entries(conn, key.in_(set(keys)))


def _feed_entries(conn: sa.Connection, where: sa.ColumnElement[bool]) -> list[FeedEntry]:
    """Feed entries of the features matching `where`, unordered: the one place where comment
    counts (visible local ones, and apart from them the imported ones) and submitter names
    are put together."""
    local_comments = (
        sa.select(sa.func.count())
        .where(comments.c.paper_id == features.c.paper_id, comments.c.hidden.is_(False))
        .scalar_subquery()
    )
    q = (
        sa.select(
            features.c.paper_id,
            features.c.feature_date,
            features.c.submitted_at,
            features.c.imported_comments,
            features.c.hf_item,
            users.c.username,
            users.c.display_name,
            local_comments.label("local_comments"),
        )
        .outerjoin(users, users.c.id == features.c.submitted_by_id)
        .where(where)
    )
    rows = conn.execute(q).all()
    by_id = {p.id: p for p in get_papers(conn, [r.paper_id for r in rows])}
    return [
        FeedEntry(
            paper=by_id[r.paper_id],
            feature_date=r.feature_date,
            submitted_at=r.submitted_at,
            submitted_by=r.username,
            submitter_name=r.display_name,
            num_comments=r.imported_comments + r.local_comments,
            local_comments=r.local_comments,
            hf_item=r.hf_item,
        )
        for r in rows
    ]


def count_features(conn: sa.Connection) -> int:
    """How many (paper, date) features exist."""
    return conn.execute(sa.select(sa.func.count()).select_from(features)).scalar_one()


def next_feature_date(conn: sa.Connection, after: date) -> date | None:
    """The first day after `after` with featured papers (feed navigation)."""
    q = sa.select(sa.func.min(features.c.feature_date)).where(features.c.feature_date > after)
    return conn.execute(q).scalar_one_or_none()


def feature_dates(conn: sa.Connection, paper_id: int) -> list[date]:
    """The dates a paper was featured on, newest first."""
    q = sa.select(features.c.feature_date).where(features.c.paper_id == paper_id)
    return list(conn.execute(q.order_by(features.c.feature_date.desc())).scalars())


def imported_comment_count(conn: sa.Connection, paper_id: int) -> int:
    """Comments the paper had on the site it was imported from (the largest count seen)."""
    q = sa.select(sa.func.max(features.c.imported_comments)).where(features.c.paper_id == paper_id)
    return conn.execute(q).scalar_one_or_none() or 0


def add_feature(conn: sa.Connection, paper_id: int, day: date, *, submitted_by: int) -> None:
    """Feature a paper on a day; a repeat raises IntegrityError (UNIQUE paper+date)."""
    values = {
        "paper_id": paper_id,
        "feature_date": day,
        "submitted_by_id": submitted_by,
        "submitted_at": utcnow(),
        "imported_comments": 0,
        "created_at": utcnow(),
    }
    conn.execute(features.insert(), values)


def remove_feature(conn: sa.Connection, paper_id: int, day: date) -> bool:
    """Take a paper off a day's feed; False if it was not featured that day."""
    q = sa.delete(features).where(features.c.paper_id == paper_id, features.c.feature_date == day)
    return conn.execute(q).rowcount == 1


def submitted_by_user(
    conn: sa.Connection, user_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[list[tuple[int, datetime]], int]:
    """A page of (paper id, when submitted) of the features this user submitted, newest
    first, and how many there are in all."""
    mine = features.c.submitted_by_id == user_id
    total = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
    q = (
        sa.select(features.c.paper_id, features.c.submitted_at)
        .where(mine)
        .order_by(features.c.submitted_at.desc(), features.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(r.paper_id, r.submitted_at) for r in conn.execute(q)], total


def _first_features() -> sa.Subquery:
    """Each paper's first feature date: what trending counts a paper's age from, so that
    featuring an old paper again does not make it new."""
    return (
        sa.select(features.c.paper_id, sa.func.min(features.c.feature_date).label("first_day"))
        .group_by(features.c.paper_id)
        .subquery()
    )


def latest_first_feature_date(conn: sa.Connection, on_or_before: date) -> date | None:
    """The most recent day, not after `on_or_before`, on which some paper was first featured."""
    first = _first_features()
    q = sa.select(sa.func.max(first.c.first_day)).where(first.c.first_day <= on_or_before)
    return conn.execute(q).scalar_one_or_none()


class TrendCandidate(NamedTuple):
    """A feature with what trending scores it by, without its paper (the JSON API pages by
    these; building whole feed entries for every feature of a month cost ~60 ms)."""

    paper_id: int
    feature_date: date
    submitted_at: datetime
    submitted_by: str | None
    upvotes: int  # imported + cast here, as Paper.upvotes
    first_day: date  # the paper's first feature
    has_arxiv_id: bool


@functools.cache
def _trend_candidates_query(first_only: bool) -> sa.Select[Any]:
    """`trend_candidates`' statement, built once per variant with the dates as bound
    parameters (as _FEATURES_OF_PAPERS: SQLAlchemy walks a statement built anew to key its
    compiled cache, and for this one that cost about as much as running it for a week)."""
    earlier = features.alias("earlier")
    first_day = (
        sa.select(sa.func.min(earlier.c.feature_date))
        .where(earlier.c.paper_id == features.c.paper_id)
        .scalar_subquery()
    )
    votes_here = (
        sa.select(sa.func.count()).where(votes.c.paper_id == features.c.paper_id).scalar_subquery()
    )
    q = (
        sa.select(
            features.c.paper_id,
            features.c.feature_date,
            features.c.submitted_at,
            users.c.username,
            (papers_table.c.imported_upvotes + votes_here).label("upvotes"),
            first_day.label("first_day"),
            papers_table.c.arxiv_id.is_not(None).label("has_arxiv_id"),
        )
        .select_from(features)
        .join(papers_table, papers_table.c.id == features.c.paper_id)
        .outerjoin(users, users.c.id == features.c.submitted_by_id)
        .where(
            features.c.feature_date.between(
                sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
            )
        )
    )
    return q.where(features.c.feature_date == first_day) if first_only else q


def trend_candidates(
    conn: sa.Connection, start: date, end: date, *, first_only: bool = False
) -> list[TrendCandidate]:
    """Features dated between two dates (inclusive), unordered; with `first_only`, only
    papers' first features (the papers first featured in that span). Driven by the date
    index, each row's first day and votes looked up by index: joining the first days of
    all papers (as `_first_features` does) made a week cost 14 ms on the sample."""
    rows = conn.execute(_trend_candidates_query(first_only), {"start": start, "end": end})
    return [TrendCandidate(*row) for row in rows.all()]


# --- the JSON API: ApiEntry rows (see models.ApiEntry) ----------------------------------
#
# Every HF-shaped route reads the same columns: HF's stored JSON as text, so it is never
# parsed on the way out, our own counts as correlated subqueries on indexed columns, the
# submitter. Only papers with an arXiv id are read (HF's ids are arXiv ids). The values that
# only stand in for HF's objects, and cost most to read (JSON and timestamps to parse, links
# to check), are read only where HF sent no such object (see models.ApiEntry): for a page
# of HF's papers that was a third of the time spent reading it. Authors likewise.


def _json_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str | None]:
    """A JSON column as text, SQL NULL when absent: SQLAlchemy writes a Python None into a
    JSON column as the JSON text `null`, which must read as "HF sent nothing" too."""
    return sa.func.nullif(sa.cast(column, sa.Text), "null")


def _unless_sent(
    hf_object: sa.ColumnElement[Any], column: sa.ColumnElement[Any], name: str
) -> sa.Label[Any]:
    """`column` where HF sent no object in `hf_object`, else NULL."""
    return sa.case((_json_text(hf_object).is_(None), column)).label(name)


_LOCAL_VOTES = (
    sa.select(sa.func.count()).where(votes.c.paper_id == papers_table.c.id).scalar_subquery()
)
_LOCAL_COMMENTS = (
    sa.select(sa.func.count())
    .where(comments.c.paper_id == papers_table.c.id, comments.c.hidden.is_(False))
    .scalar_subquery()
)
_COLUMNS = (
    papers_table.c.id.label("paper_id"),
    papers_table.c.arxiv_id,
    _json_text(papers_table.c.hf_paper).label("hf_paper_json"),
    papers_table.c.title,
    papers_table.c.abstract,
    papers_table.c.published_at,
    papers_table.c.ai_summary,
    _unless_sent(papers_table.c.hf_paper, papers_table.c.ai_keywords, "ai_keywords"),
    _unless_sent(features.c.hf_item, papers_table.c.thumbnail_url, "thumbnail_url"),
    papers_table.c.code_url,
    papers_table.c.project_url,
    papers_table.c.imported_upvotes,
    _LOCAL_VOTES.label("local_upvotes"),
    features.c.feature_date,
    _unless_sent(features.c.hf_item, features.c.submitted_at, "submitted_at"),
    _json_text(features.c.hf_item).label("hf_item_json"),
    features.c.imported_comments,
    _LOCAL_COMMENTS.label("local_comments"),
    users.c.username.label("submitted_by"),
    users.c.display_name.label("submitter_name"),
    _unless_sent(features.c.hf_item, users.c.avatar_url, "submitter_avatar"),
)


def _features_of_papers(*columns: Any, submitters: bool = True) -> sa.Select[Any]:
    """`columns` of the features of the papers `:paper_ids` that have an arXiv id, from the
    features with their papers (and, with `submitters`, the users who featured them)."""
    q = sa.select(*columns).select_from(features)
    q = q.join(papers_table, papers_table.c.id == features.c.paper_id)
    if submitters:
        q = q.outerjoin(users, users.c.id == features.c.submitted_by_id)
    return q.where(
        papers_table.c.arxiv_id.is_not(None),
        features.c.paper_id.in_(sa.bindparam("paper_ids", expanding=True)),
    )


_NEWEST_FIRST = (features.c.submitted_at.desc(), features.c.id.desc())
# Built once: SQLAlchemy keys its compiled-statement cache by walking a statement, which for
# this one (21 columns, two subqueries) cost more than running it; a statement object that
# stays the same has its key computed once.
_FEATURES_OF_PAPERS = _features_of_papers(*_COLUMNS)


@functools.cache
def _daily_page_keys(start: bool, end: bool, submitter: bool) -> sa.Select[int, date]:
    """The keys of a page of features, newest submission first, filtered by the bound
    parameters named (one statement per combination, built once, as _FEATURES_OF_PAPERS)."""
    q = (
        sa.select(features.c.paper_id, features.c.feature_date)
        .join(papers_table, papers_table.c.id == features.c.paper_id)
        .where(papers_table.c.arxiv_id.is_not(None))
    )
    if start:
        q = q.where(features.c.feature_date >= sa.bindparam("start", type_=sa.Date))
    if end:
        q = q.where(features.c.feature_date <= sa.bindparam("end", type_=sa.Date))
    if submitter:
        q = q.join(users, users.c.id == features.c.submitted_by_id).where(
            users.c.username == sa.bindparam("submitter", type_=sa.Text)
        )
    page = q.order_by(*_NEWEST_FIRST)
    return page.offset(sa.bindparam("offset", type_=sa.Integer)).limit(
        sa.bindparam("limit", type_=sa.Integer)
    )


def daily_feature_keys(
    conn: sa.Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    submitter: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[FeatureKey]:
    """Features (of papers with an arXiv id) in an optional date range and by an optional
    submitter, newest submission first. Only their keys (index ix_features_submitted_at):
    `entries_by_feature` reads them, and sorting whole rows would compute their subqueries
    for every feature in range."""
    q = _daily_page_keys(start is not None, end is not None, submitter is not None)
    params = {"start": start, "end": end, "submitter": submitter, "offset": offset, "limit": limit}
    return [(pid, day) for pid, day in conn.execute(q, params).all()]  # (all: one fetch)


def entries_by_feature(
    conn: sa.Connection, keys: Sequence[FeatureKey]
) -> dict[FeatureKey, ApiEntry]:
    """The entries of these (paper id, feature date) keys; unknown ones and papers without
    an arXiv id are left out."""
    if not keys:
        return {}
    params = {"paper_ids": list({pid for pid, _ in keys})}
    wanted = set(keys)
    found = _api_entries(conn, _FEATURES_OF_PAPERS, params)
    return {key: e for e in found if (key := (e.paper_id, _day(e))) in wanted}


# Daily items whose paper and item objects both came from HF need only those two objects and
# our own values: no stand-ins, no submitter, no second look at authors.
_SENT_OF_PAPERS = _features_of_papers(
    features.c.paper_id,
    features.c.feature_date,
    _json_text(papers_table.c.hf_paper),
    _json_text(features.c.hf_item),
    _LOCAL_VOTES,
    _LOCAL_COMMENTS,
    papers_table.c.code_url,
    papers_table.c.project_url,
    submitters=False,
)


def sent_items(conn: sa.Connection, keys: Sequence[FeatureKey]) -> dict[FeatureKey, SentItem]:
    """The features among these keys whose paper and item objects HF sent, as `SentItem`s
    (their text starts and ends with the object's braces, see `_is_object`); the others
    (ours, or unknown) are left out: `entries_by_feature` reads those."""
    if not keys:
        return {}
    wanted = set(keys)
    found: dict[FeatureKey, SentItem] = {}
    rows = conn.execute(_SENT_OF_PAPERS, {"paper_ids": list({pid for pid, _ in keys})})
    for pid, day, paper, item, upvotes, comments_here, code, project in rows.all():
        if _is_object(paper) and _is_object(item) and (key := (pid, day)) in wanted:
            found[key] = SentItem(
                paper, item, day, upvotes, comments_here, http_url(code), http_url(project)
            )
    return found


def _is_object(text: str | None) -> bool:
    """Stored JSON text that is an object with nothing around its braces (as the JSON column
    writes HF's objects), so that its members are the text between them; anything else takes
    the whole-entry path."""
    return text is not None and text[:1] == "{" and text[-1:] == "}"


def _day(entry: ApiEntry) -> date:
    assert entry.feature_date is not None, "read with its feature"
    return entry.feature_date


def _latest_feature_of_papers() -> sa.Select[Any]:
    """Papers with an arXiv id among `:paper_ids`, each with its latest feature if any."""
    latest = (
        sa.select(sa.func.max(features.c.feature_date))
        .where(features.c.paper_id == papers_table.c.id)
        .correlate(papers_table)
        .scalar_subquery()
    )
    return (
        sa.select(*_COLUMNS)
        .select_from(papers_table)
        .outerjoin(
            features,
            sa.and_(features.c.paper_id == papers_table.c.id, features.c.feature_date == latest),
        )
        .outerjoin(users, users.c.id == features.c.submitted_by_id)
        .where(
            papers_table.c.id.in_(sa.bindparam("paper_ids", expanding=True)),
            papers_table.c.arxiv_id.is_not(None),
        )
    )


_LATEST_OF_PAPERS = _latest_feature_of_papers()


def paper_entries(conn: sa.Connection, paper_ids: Sequence[int]) -> list[ApiEntry]:
    """The entries of these papers, each with its latest feature if any, in the order given;
    papers without an arXiv id are skipped."""
    if not paper_ids:
        return []
    found = _api_entries(conn, _LATEST_OF_PAPERS, {"paper_ids": list(set(paper_ids))})
    by_id = {e.paper_id: e for e in found}
    return [by_id[i] for i in paper_ids if i in by_id]


def _api_entry(row: Sequence[Any]) -> ApiEntry:
    """A row of _COLUMNS as an ApiEntry: links pass `safety.http_url` (as in
    `papers._to_paper`). Positional, in _COLUMNS' order: this runs for every item of every
    page, and building a dict per row to pass by name cost a tenth of the page."""
    (
        pid, arxiv_id, hf_paper, title, abstract, published, ai_summary, ai_keywords, thumbnail,
        code, project, imported_upvotes, local_upvotes, day, submitted_at, hf_item,
        imported_comments, local_comments, by, by_name, by_avatar,
    ) = row  # fmt: skip
    return ApiEntry(
        pid, arxiv_id, hf_paper, title, abstract, published, ai_summary, ai_keywords or [],
        http_url(thumbnail), http_url(code), http_url(project), imported_upvotes, local_upvotes,
        day, submitted_at, hf_item, imported_comments, local_comments, by, by_name,
        http_url(by_avatar),
    )  # fmt: skip


def _api_entries(
    conn: sa.Connection, q: sa.Select[Any], params: dict[str, Any] | None = None
) -> list[ApiEntry]:
    entries = [_api_entry(row) for row in conn.execute(q, params).all()]
    _add_authors(conn, [e for e in entries if e.hf_paper_json is None])
    return entries


def _add_authors(conn: sa.Connection, entries: Sequence[ApiEntry]) -> None:
    """Author names, in order, for the entries that have no HF paper object to give back."""
    if not entries:
        return
    by_id: dict[int, list[ApiEntry]] = {}
    for e in entries:
        by_id.setdefault(e.paper_id, []).append(e)
    q = (
        sa.select(paper_authors.c.paper_id, paper_authors.c.name)
        .where(paper_authors.c.paper_id.in_(by_id))
        .order_by(paper_authors.c.paper_id, paper_authors.c.position)
    )
    for row in conn.execute(q):
        for e in by_id[row.paper_id]:
            e.authors.append(row.name)


def latest_features(conn: sa.Connection, paper_ids: Collection[int]) -> dict[int, FeedEntry]:
    """Each paper's most recent feature, for the papers that were ever featured."""
    if not paper_ids:
        return {}
    q = (
        sa.select(features.c.paper_id, sa.func.max(features.c.feature_date).label("day"))
        .where(features.c.paper_id.in_(set(paper_ids)))
        .group_by(features.c.paper_id)
    )
    keys = [(r.paper_id, r.day) for r in conn.execute(q)]
    return {e.paper.id: e for e in _entries(conn, keys)}


def _entries(conn: sa.Connection, keys: Sequence[FeatureKey]) -> list[FeedEntry]:
    """The feed entries for (paper id, feature date) keys, in the order of the keys."""
    by_key = {(e.paper.id, e.feature_date): e for e in features_by_key(conn, keys)}
    return [by_key[k] for k in keys if k in by_key]
