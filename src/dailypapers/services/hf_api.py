"""Hugging Face-shaped results for the JSON API: daily items, paper objects, search, markdown.

Field names and nesting follow huggingface.co's `/api/daily_papers`, `/api/papers/{id}`,
`/api/papers/search` and `/papers/{id}.md`, so that `huggingface_hub.HfApi` works against
this instance. Two details the client depends on: timestamps are UTC with milliseconds and
a `Z` (its parser accepts nothing else), and `githubRepo`, `projectPage`, `githubStars`,
`ai_summary` and `ai_keywords` are repeated at the top level of list items, the only place
`PaperInfo` reads them from. Absent values are None here; the web layer drops them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa

from dailypapers import periods
from dailypapers.arxiv_ids import canonical_arxiv_id
from dailypapers.errors import InputError
from dailypapers.models import FeedEntry, Paper
from dailypapers.search.searcher import HybridSearcher
from dailypapers.services import feed, search
from dailypapers.store import api_queries
from dailypapers.store.papers import get_papers, paper_id_for_arxiv

Json = dict[str, Any]
Sort = Literal["publishedAt", "trending"]
Avatars = Mapping[str, str | None]

DEFAULT_LIMIT = 50
MAX_DAILY_LIMIT = 100
MAX_SEARCH_LIMIT = 120
MAX_SEARCH_TERMS = 12
_TRENDING_ALL = 100_000  # feed.trending's window (two weeks) holds far fewer papers
_TERM_SEPARATORS = re.compile(r"[\s\"']+")


def hf_timestamp(value: datetime) -> str:
    """`2024-01-02T05:00:00.000Z`: the only timestamp form huggingface_hub parses."""
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _timestamp_or_none(value: datetime | None) -> str | None:
    return hf_timestamp(value) if value else None


def public_id(paper: Paper) -> str:
    """The id clients use: the arXiv id, or the internal number for papers without one."""
    return paper.arxiv_id or str(paper.id)


def period(
    *, day: str | None = None, week: str | None = None, month: str | None = None
) -> tuple[date, date] | None:
    """The inclusive date range of a `date`, `week` or `month` parameter; None for none given."""
    given = [v for v in (day, week, month) if v is not None]
    if len(given) > 1:
        raise InputError("give only one of date, week and month")
    if day is not None:
        single = periods.parse_date(day)
        return single, single
    if week is not None:
        return periods.week_range(week)
    return periods.month_range(month) if month is not None else None


@dataclass(frozen=True, slots=True)
class DailyQuery:
    """A `/api/daily_papers` request: optional period and submitter, order, page from 0."""

    span: tuple[date, date] | None = None
    submitter: str | None = None
    sort: Sort = "publishedAt"
    page: int = 0
    limit: int = DEFAULT_LIMIT


@dataclass(slots=True)
class DailyPage:
    """One page of daily items and whether a next page exists."""

    items: list[Json]
    has_more: bool


def daily_papers(engine: sa.Engine, query: DailyQuery) -> DailyPage:
    """A page of featured papers: newest submission first, or by trending score."""
    offset, size = query.page * query.limit, query.limit + 1
    if query.sort == "trending":
        entries = _trending(engine, query)[offset : offset + size]
    else:
        start, end = query.span or (None, None)
        with engine.connect() as conn:
            entries = api_queries.feature_page(
                conn, start=start, end=end, submitter=query.submitter, offset=offset, limit=size
            )
    page = entries[: query.limit]
    avatars = _avatars(engine, page)
    return DailyPage([daily_item(e, avatars) for e in page], has_more=len(entries) > query.limit)


def _trending(engine: sa.Engine, query: DailyQuery) -> list[FeedEntry]:
    """Without a period, the site's trending list; within one, the same formula over it."""
    if query.span is None:
        ranked = [t.entry for t in feed.trending(engine, limit=_TRENDING_ALL)]
    else:
        ranked = rank_trending(feed.featured(engine, *query.span))
    return [e for e in ranked if query.submitter in (None, e.submitted_by)]


def rank_trending(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """Order by `feed.TRENDING_FORMULA`, ages counted back from the newest day among them."""
    if not entries:
        return []
    newest = max(e.feature_date for e in entries)

    def score(e: FeedEntry) -> tuple[float, int]:
        age = (newest - e.feature_date).days
        return e.paper.upvotes / (age + 2) ** feed.GRAVITY, e.paper.upvotes

    return sorted(entries, key=score, reverse=True)


def _avatars(engine: sa.Engine, entries: Iterable[FeedEntry | None]) -> Avatars:
    names = {e.submitted_by for e in entries if e and e.submitted_by}
    with engine.connect() as conn:
        return api_queries.submitter_avatars(conn, names)


def daily_item(entry: FeedEntry, avatars: Avatars) -> Json:
    """One `/api/daily_papers` item."""
    return _item(entry.paper, entry, avatars)


def _item(paper: Paper, feature: FeedEntry | None, avatars: Avatars) -> Json:
    """A list item: the paper object plus feed fields, links repeated at the top level."""
    return {
        "paper": paper_object(paper, feature, avatars),
        "publishedAt": hf_timestamp(feature.submitted_at) if feature else None,
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": paper.thumbnail_url,
        "numComments": feature.num_comments if feature else 0,
        "submittedBy": _submitter(feature, avatars),
        "isAuthorParticipating": False,
        **_links(paper),
    }


def paper_object(paper: Paper, feature: FeedEntry | None, avatars: Avatars) -> Json:
    """The `paper` object (also the whole `/api/papers/{id}` answer)."""
    return {
        "id": public_id(paper),
        "authors": [{"name": name, "hidden": False} for name in paper.authors],
        "publishedAt": _timestamp_or_none(paper.published_at),
        "submittedOnDailyAt": hf_timestamp(feature.submitted_at) if feature else None,
        "submittedOnDailyBy": _submitter(feature, avatars),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        **_links(paper),
    }


def _links(paper: Paper) -> Json:
    return {
        "githubRepo": paper.code_url,
        "githubStars": paper.github_stars,
        "projectPage": paper.project_url,
        "ai_summary": paper.ai_summary,
        "ai_keywords": paper.ai_keywords or None,
    }


def _submitter(feature: FeedEntry | None, avatars: Avatars) -> Json | None:
    """HF's user object; `user` repeats `name` because the client reads the username there."""
    if feature is None or not feature.submitted_by:
        return None
    return {
        "name": feature.submitted_by,
        "user": feature.submitted_by,
        "fullname": feature.submitter_name or feature.submitted_by,
        "avatarUrl": avatars.get(feature.submitted_by),
        "type": "user",
        "isPro": False,
    }


@dataclass(slots=True)
class _Found:
    paper: Paper
    feature: FeedEntry | None
    avatars: Avatars


def _find(engine: sa.Engine, text: str) -> _Found | None:
    """A paper by arXiv id (any version or form) or internal number, with its latest feature."""
    with engine.connect() as conn:
        arxiv_id = canonical_arxiv_id(text)
        pid = paper_id_for_arxiv(conn, arxiv_id) if arxiv_id else _number(text)
        found = get_papers(conn, [pid]) if pid is not None else []
        if not found:
            return None
        paper = found[0]
        feature = api_queries.latest_features(conn, [paper.id]).get(paper.id)
    return _Found(paper, feature, _avatars(engine, [feature]))


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def paper_detail(engine: sa.Engine, paper_id: str) -> Json | None:
    """The `/api/papers/{id}` object, or None for an unknown paper."""
    found = _find(engine, paper_id)
    if found is None:
        return None
    detail = paper_object(found.paper, found.feature, found.avatars)
    detail["numComments"] = found.feature.num_comments if found.feature else 0
    return detail


def paper_markdown(engine: sa.Engine, paper_id: str) -> str | None:
    """The paper page as markdown (what `HfApi.read_paper` returns), or None if unknown."""
    found = _find(engine, paper_id)
    if found is None:
        return None
    p = found.paper
    facts = [
        ("Authors", ", ".join(p.authors)),
        ("Published", f"{p.published_at:%Y-%m-%d}" if p.published_at else None),
        ("Featured", f"{found.feature.feature_date}" if found.feature else None),
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


def search_terms(q: str) -> list[str]:
    """The words of a query, quotes dropped, at most MAX_SEARCH_TERMS of them."""
    return [t for t in _TERM_SEPARATORS.split(q) if t][:MAX_SEARCH_TERMS]


def search_papers(
    engine: sa.Engine, searcher: HybridSearcher, q: str, *, limit: int = DEFAULT_LIMIT
) -> list[Json]:
    """`/api/papers/search` items, best first (hybrid search: any word, or the meaning),
    with the query's words highlighted."""
    terms = search_terms(q)
    hits = find_papers(engine, searcher, q, limit=limit)
    avatars = _avatars(engine, (feature for _, feature in hits))
    return [
        {
            **_item(paper, feature, avatars),
            "highlightedTitle": highlight(paper.title, terms),
            "highlightedSummary": highlight(paper.abstract, terms),
        }
        for paper, feature in hits
    ]


def find_papers(
    engine: sa.Engine, searcher: HybridSearcher, q: str, *, limit: int
) -> list[tuple[Paper, FeedEntry | None]]:
    """The searcher's papers for `q`, best first, each with its latest feature if any
    (feeds and the API date items by it)."""
    found = search.papers_matching(searcher, q, limit=limit)
    with engine.connect() as conn:
        features = api_queries.latest_features(conn, [p.id for p in found])
    return [(paper, features.get(paper.id)) for paper in found]


def highlight(text: str, terms: Sequence[str]) -> str:
    """HTML-escaped text with each case-insensitive term match in `<span class="highlight">`."""
    if not terms:
        return html.escape(text)
    longest_first = sorted({t.lower() for t in terms}, key=len, reverse=True)
    pattern = re.compile("(" + "|".join(map(re.escape, longest_first)) + ")", re.IGNORECASE)
    return "".join(
        f'<span class="highlight">{html.escape(part)}</span>' if i % 2 else html.escape(part)
        for i, part in enumerate(pattern.split(text))
    )
