"""The Hugging Face-compatible API's data: daily items, papers, search results, markdown.

Routes follow huggingface.co (`/api/daily_papers`, `/api/papers/{id}`, `/api/papers/search`,
`/api/papers`, `/api/arxiv/{id}/repos`, `/papers/{id}.md`). This module returns typed
objects (`models.ApiEntry`, `SearchResult`, `PaperDetail`, pages of them); `web.api_schemas`
maps them to the one set of response models. HF's own JSON, kept whole at import, travels as
stored text (`ApiEntry.hf_paper_json`, `.hf_item_json`) and is given back as it was sent;
what is ours (votes and comments cast here, links we found ourselves) is kept apart from it.

Only papers with an arXiv id appear here: HF's ids are arXiv ids, and an internal number in
their place would look like one to clients (see docs/hf-api.md).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import sqlalchemy as sa

from dailypapers import periods
from dailypapers.arxiv_ids import canonical_arxiv_id
from dailypapers.errors import InputError
from dailypapers.models import ApiEntry, FeedEntry, Paper, SentItem
from dailypapers.search.searcher import HybridSearcher
from dailypapers.services import search, trending
from dailypapers.store import features
from dailypapers.store import papers as papers_store
from dailypapers.store.community import CommentRow, list_comments
from dailypapers.store.papers import get_papers, paper_id_for_arxiv

Sort = Literal["publishedAt", "trending"]

DEFAULT_LIMIT = 50
MAX_DAILY_LIMIT = 100
MAX_SEARCH_LIMIT = 120
MAX_PAPERS_LIMIT = 100
MAX_SEARCH_TERMS = 12
_SEARCH_OVERFETCH = 20  # room for papers without an arXiv id, which are left out
_TERM_SEPARATORS = re.compile(r"[\s\"']+")


def hf_timestamp(value: datetime) -> str:
    """`2024-01-02T05:00:00.000Z`: the only timestamp form huggingface_hub parses."""
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def period(
    *, day: str | None = None, week: str | None = None, month: str | None = None
) -> tuple[date, date] | None:
    """The inclusive date range of a `date`, `week` or `month` parameter; None for none given."""
    found = periods.period_of(day=day, week=week, month=month)
    return (found.start, found.end) if found else None


@dataclass(frozen=True, slots=True)
class DailyQuery:
    """A `/api/daily_papers` request: optional period and submitter, order, page from 0."""

    span: tuple[date, date] | None = None
    submitter: str | None = None
    sort: Sort = "publishedAt"
    page: int = 0
    limit: int = DEFAULT_LIMIT
    today: date | None = None  # what trending counts ages to; None: the current UTC date
    trending_window_days: int = trending.DEFAULT_WINDOW_DAYS


@dataclass(slots=True)
class DailyPage:
    """One page of daily items, as the keys of their features in order, and whether a next
    page exists. `daily_entries` reads the items: the web layer only reads those it has not
    encoded already (web.page_cache.FragmentCache)."""

    keys: list[features.FeatureKey]
    has_more: bool


def daily_page(engine: sa.Engine, query: DailyQuery) -> DailyPage:
    """A page of featured papers: newest submission first, or by trending score."""
    offset, size = query.page * query.limit, query.limit + 1
    start, end = query.span or (None, None)
    if query.sort == "trending":
        keys = _trending(engine, query)[offset : offset + size]
    else:
        with engine.connect() as conn:
            keys = features.daily_feature_keys(
                conn, start=start, end=end, submitter=query.submitter, offset=offset, limit=size
            )
    return DailyPage(keys[: query.limit], has_more=len(keys) > query.limit)


def daily_entries(
    engine: sa.Engine, keys: Sequence[features.FeatureKey]
) -> dict[features.FeatureKey, ApiEntry | SentItem]:
    """The items of these features (those that still exist), by key: a `SentItem` where HF
    sent both the paper and the item objects (most, on an instance that imports HF's
    feed), else the whole entry to fill them from."""
    with engine.connect() as conn:
        found: dict[features.FeatureKey, ApiEntry | SentItem] = {}
        found.update(features.sent_items(conn, keys))
        if len(found) < len(keys):
            found.update(features.entries_by_feature(conn, [k for k in keys if k not in found]))
        return found


def _trending(engine: sa.Engine, query: DailyQuery) -> list[features.FeatureKey]:
    """Without a period, the site's trending list; within one, the same score over it."""
    today = query.today or datetime.now(UTC).date()
    if query.span is None:
        window = query.trending_window_days
        ranked = trending.trending_features(engine, today=today, window_days=window)
    else:
        ranked = trending.rank_period(engine, *query.span, today=today)
    return [
        (r.paper_id, r.feature_date)
        for r in ranked
        if r.has_arxiv_id and query.submitter in (None, r.submitted_by)
    ]


def _entries(engine: sa.Engine, paper_ids: Sequence[int]) -> list[ApiEntry]:
    """Entries for papers that have an arXiv id, each with its latest feature if any."""
    with engine.connect() as conn:
        return features.paper_entries(conn, paper_ids)


@dataclass(frozen=True, slots=True)
class PaperDetail:
    """`/api/papers/{id}`: the paper, its latest feature, and its comments here if asked."""

    entry: ApiEntry
    comments: list[CommentRow] | None = None


def _paper_id(engine: sa.Engine, text: str) -> int | None:
    """The stored paper with this arXiv id (any version or form), if any."""
    arxiv_id = canonical_arxiv_id(text.strip())
    if arxiv_id is None:
        return None
    with engine.connect() as conn:
        return paper_id_for_arxiv(conn, arxiv_id)


def _find(engine: sa.Engine, text: str) -> ApiEntry | None:
    """A paper by arXiv id with its latest feature; None if unknown."""
    pid = _paper_id(engine, text)
    found = _entries(engine, [pid]) if pid is not None else []
    return found[0] if found else None


def paper_detail(engine: sa.Engine, paper_id: str, *, comments: bool = False) -> PaperDetail | None:
    """The paper behind `/api/papers/{id}` (with `?field=comments`, its visible comments
    here, oldest first), or None for an id that is no stored arXiv paper."""
    entry = _find(engine, paper_id)
    if entry is None:
        return None
    if not comments:
        return PaperDetail(entry)
    with engine.connect() as conn:
        rows = list_comments(conn, entry.paper_id, include_hidden=False)
    return PaperDetail(entry, rows)


def known_arxiv_paper(engine: sa.Engine, paper_id: str) -> str | None:
    """The canonical arXiv id of a stored paper (for `/api/arxiv/{id}/repos`), else None."""
    pid = _paper_id(engine, paper_id)
    return canonical_arxiv_id(paper_id.strip()) if pid is not None else None


@dataclass(slots=True)
class PapersPage:
    """`/api/papers`: papers by publication date, newest first, and the next page's cursor."""

    items: list[ApiEntry]
    next_cursor: str | None


def list_papers(engine: sa.Engine, *, cursor: str | None, limit: int) -> PapersPage:
    """Every stored paper with an arXiv id and a publication date, newest first, paged by an
    opaque cursor (keyset, so pages stay consistent while papers are added)."""
    after = _decode_cursor(cursor) if cursor else None
    with engine.connect() as conn:
        keys = papers_store.paper_keys_by_date(conn, after=after, limit=limit + 1)
        items = features.paper_entries(conn, [pid for _, pid in keys[:limit]])
    next_cursor = _encode_cursor(keys[limit - 1]) if len(keys) > limit else None
    return PapersPage(items, next_cursor)


def _encode_cursor(key: tuple[datetime, int]) -> str:
    raw = f"{key[0].astimezone(UTC).isoformat()}|{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (published_at, paper id) a cursor points after; InputError for a made-up one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pid = raw.split("|")
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            raise ValueError("naive timestamp")
        return when.astimezone(UTC), int(pid)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InputError(f"invalid cursor {cursor[:40]!r}") from None


def paper_markdown(engine: sa.Engine, paper_id: str) -> str | None:
    """The paper page as markdown (what `HfApi.read_paper` returns), or None if unknown."""
    pid = _paper_id(engine, paper_id)
    if pid is None:
        return None
    with engine.connect() as conn:
        p = get_papers(conn, [pid])[0]
        f = features.latest_features(conn, [pid]).get(pid)
    facts = [
        ("Authors", ", ".join(p.authors)),
        ("Published", f"{p.published_at:%Y-%m-%d}" if p.published_at else None),
        ("Featured", f"{f.feature_date}" if f else None),
        ("Upvotes", str(p.upvotes)),
        ("arXiv", p.arxiv_url),
        ("PDF", p.pdf_url),
        ("Code", p.code_url),
        ("Project page", p.project_url),
        ("Keywords", ", ".join(p.ai_keywords)),
    ]
    lines = [f"# {p.title}", "", *(f"- **{k}:** {v}" for k, v in facts if v)]
    if p.ai_summary:
        lines += ["", "## AI summary", "", p.ai_summary]
    lines += ["", "## Abstract", "", p.abstract, ""]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of highlighted text: `highlight` for a query word, else `text`."""

    type: Literal["text", "highlight"]
    text: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One `/api/papers/search` result: the item and its title and summary as spans."""

    entry: ApiEntry
    title: list[Span]
    summary: list[Span]


def search_terms(q: str) -> list[str]:
    """The words of a query, quotes dropped, at most MAX_SEARCH_TERMS of them."""
    return [t for t in _TERM_SEPARATORS.split(q) if t][:MAX_SEARCH_TERMS]


def search_papers(
    engine: sa.Engine, searcher: HybridSearcher, q: str, *, limit: int = DEFAULT_LIMIT
) -> list[SearchResult]:
    """`/api/papers/search` results, best first: the paper whose arXiv id is the query, then
    hybrid search (any word, or the meaning); only papers with an arXiv id."""
    exact = _paper_id(engine, q) if q.strip() else None
    found = search.papers_matching(searcher, q, limit=limit + _SEARCH_OVERFETCH)
    ids = ([exact] if exact is not None else []) + [p.id for p in found if p.id != exact]
    terms = search_terms(q)
    return [
        SearchResult(e, highlight(e.title, terms), highlight(e.abstract, terms))
        for e in _entries(engine, ids)[:limit]
    ]


def find_papers(
    engine: sa.Engine, searcher: HybridSearcher, q: str, *, limit: int
) -> list[tuple[Paper, FeedEntry | None]]:
    """The searcher's papers for `q`, best first, each with its latest feature if any
    (feeds and the API date items by it)."""
    found = search.papers_matching(searcher, q, limit=limit)
    with engine.connect() as conn:
        latest = features.latest_features(conn, [p.id for p in found])
    return [(paper, latest.get(paper.id)) for paper in found]


def highlight(text: str, terms: Sequence[str]) -> list[Span]:
    """The text cut into spans, each case-insensitive match of a term a `highlight` span.
    Text stays raw: escaping is the business of whoever renders it."""
    if not terms or not text:
        return [Span("text", text)] if text else []
    longest_first = sorted({t.lower() for t in terms}, key=len, reverse=True)
    pattern = re.compile("(" + "|".join(map(re.escape, longest_first)) + ")", re.IGNORECASE)
    return [
        Span("highlight" if i % 2 else "text", part)
        for i, part in enumerate(pattern.split(text))
        if part
    ]
