"""Search for the web pages, the JSON API and digests: one call each, plain dataclasses back.

Callers get the searcher from the Runtime (``runtime.searcher``, built lazily; the embedding
model loads on the first query that needs it) and never touch indexes or SQL themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from dailypapers.models import Paper, SearchPage
from dailypapers.search.searcher import HybridSearcher

Sort = Literal["relevance", "date", "upvotes"]


def search_papers(
    searcher: HybridSearcher,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    since: date | None = None,
    sort: Sort = "relevance",
) -> SearchPage:
    """A page of hits (paper, score, highlighted title and snippet) for the search box text;
    InputError (one line) for a query that cannot mean anything, e.g. ``year:20``."""
    return searcher.search(query, limit=limit, offset=offset, since=since, sort=sort)


def papers_matching(searcher: HybridSearcher, query: str, *, limit: int = 30) -> list[Paper]:
    """Just the papers, best first: for lists that render their own cards (digests, feeds)."""
    return [hit.paper for hit in searcher.search(query, limit=limit).hits]


def similar_papers(searcher: HybridSearcher, paper_id: int, *, k: int = 5) -> list[Paper]:
    """Papers nearest in meaning, without the paper itself or copies of it; [] until the
    paper has a vector (`dailypapers reindex`)."""
    return [hit.paper for hit in searcher.similar(paper_id, k)]
