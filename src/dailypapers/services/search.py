"""Search for the web pages, the JSON API and digests: one call each, plain dataclasses back.

Callers get the searcher from the Runtime (``runtime.searcher``, built lazily; the embedding
model loads on the first query that needs it) and never touch indexes or SQL themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dailypapers.errors import InputError
from dailypapers.models import Paper, SearchFilters, SearchPage, SearchSort
from dailypapers.search.searcher import HybridSearcher

PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What the search page asks for: the search box text, the filters beside it (which add
    to any ``cat:``/``author:``/``year:`` typed in the text), the order and a 1-based page.
    The filters travel as one object down to the searcher."""

    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: SearchSort = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        """How many results the pages before this one hold."""
        return (self.page - 1) * self.per_page

    @property
    def narrowed(self) -> bool:
        """Whether any filter or a non-default order is set (the page then shows them open)."""
        return self.filters.active or self.sort != "relevance"

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
        filters=request.filters,
        sort=request.sort,
    )


def papers_matching(searcher: HybridSearcher, query: str, *, limit: int = 30) -> list[Paper]:
    """Just the papers, best first: for lists that render their own cards (digests, feeds)."""
    return [hit.paper for hit in searcher.search(query, limit=limit).hits]


def similar_papers(searcher: HybridSearcher, paper_id: int, *, k: int = 5) -> list[Paper]:
    """Papers nearest in meaning, without the paper itself or copies of it; [] until the
    paper has a vector (`dailypapers reindex`)."""
    return [hit.paper for hit in searcher.similar(paper_id, k)]
