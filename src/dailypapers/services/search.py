"""Search for the web pages, the JSON API and digests: one call each, plain dataclasses back.

Callers get the searcher from the Runtime (``runtime.searcher``, built lazily; the embedding
model loads on the first query that needs it) and never touch indexes or SQL themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from dailypapers.errors import InputError
from dailypapers.models import Paper, SearchPage
from dailypapers.search.searcher import HybridSearcher

Sort = Literal["relevance", "date", "upvotes"]


PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What the search page asks for: the search box text, the filters beside it (which add
    to any ``cat:``/``author:``/``year:`` typed in the text), the order and a 1-based page."""

    query: str = ""
    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None
    has_code: bool = False
    featured_only: bool = False
    sort: Sort = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        """How many results the pages before this one hold."""
        return (self.page - 1) * self.per_page

    @property
    def narrowed(self) -> bool:
        """Whether any filter or a non-default order is set (the page then shows them open)."""
        filters = (self.since, self.until, self.categories, self.author, self.has_code)
        return any(filters) or self.featured_only or self.sort != "relevance"

    @property
    def is_blank(self) -> bool:
        """Nothing typed and nothing narrowed: the page shows just the form."""
        return not (self.query.strip() or self.narrowed)


def search_papers(searcher: HybridSearcher, request: SearchRequest) -> SearchPage:
    """A page of hits (paper, score, highlighted title and snippet) for the request;
    InputError (one line) for one that cannot mean anything, e.g. ``year:2025..2020``."""
    if request.page < 1:
        raise InputError(f"page must be 1 or more, got {request.page}")
    return searcher.search(
        request.query,
        limit=request.per_page,
        offset=request.offset,
        since=request.since,
        until=request.until,
        categories=request.categories,
        author=request.author,
        has_code=request.has_code,
        featured_only=request.featured_only,
        sort=request.sort,
    )


def papers_matching(searcher: HybridSearcher, query: str, *, limit: int = 30) -> list[Paper]:
    """Just the papers, best first: for lists that render their own cards (digests, feeds)."""
    return [hit.paper for hit in searcher.search(query, limit=limit).hits]


def similar_papers(searcher: HybridSearcher, paper_id: int, *, k: int = 5) -> list[Paper]:
    """Papers nearest in meaning, without the paper itself or copies of it; [] until the
    paper has a vector (`dailypapers reindex`)."""
    return [hit.paper for hit in searcher.similar(paper_id, k)]
