"""HybridSearcher: keyword + vectors + filters + fusion → search() and similar(); the one entry
point that CLI, web pages, the JSON API and digests call.

The embedding model is loaded on the first query that needs it, never at construction, so a
web server starts fast and pages that never search never pay for it. Phrases and exclusions
are enforced on the vector leg too (through the keyword index), so ``-word`` means the word is
absent from every result, whichever leg found it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.models import SEARCH_SORTS, Paper, SearchFilters, SearchHit, SearchPage
from dailypapers.models import SearchSort as Sort
from dailypapers.search.dense import DenseIndex, ServingIndex
from dailypapers.search.embedder import Embedder
from dailypapers.search.fusion import Normalisation, convex, rrf
from dailypapers.search.keyword import KeywordIndex, keyword_index_for
from dailypapers.search.query import Query, parse_query, without_stopwords
from dailypapers.search.snippets import highlight, query_stems, snippet
from dailypapers.store import search as store
from dailypapers.store.papers import get_papers

Ranking = list[tuple[int, float]]
MAX_LIMIT = 200
MAX_OFFSET = 10_000
MIN_DEPTH = 100
"""Candidates taken from each leg at least: fusion needs some depth to reorder anything."""
FILTER_OVERFETCH = 5
"""The vector index cannot filter, so with filters it is asked for this many times more."""
LEG_THREADS = 8
"""Threads that run the vector leg beside the keyword leg (one per concurrent search)."""


@dataclass(frozen=True, slots=True)
class Fusion:
    """How the two ranked lists are merged; the default was chosen on the eval collections
    (docs/search-quality.md)."""

    method: Literal["rrf", "convex"] = "convex"
    rrf_k: int = 60
    alpha: float = 0.4
    """Convex fusion: the keyword leg's weight."""
    min_similarity: float = 0.25
    normalisation: Normalisation = "minmax"
    """Convex fusion: how each leg's scores are put on one scale (see fusion.normalise)."""

    def fuse(self, keyword: Ranking, dense: Ranking) -> Ranking:
        """One ranking from both legs (either may be empty).

        Vector hits below `min_similarity` (cosine) are dropped first: nearest neighbours
        always exist, so without a floor a query of nonsense still "finds" papers.
        """
        dense = [(i, s) for i, s in dense if s >= self.min_similarity]
        if self.method == "convex":
            return convex([keyword, dense], alpha=self.alpha, normalisation=self.normalisation)
        return rrf([keyword, dense], k=self.rrf_k)


@dataclass(frozen=True, slots=True)
class Legs:
    """The two rankings before fusion; evaluation scores each alone."""

    keyword: Ranking
    dense: Ranking


class HybridSearcher:
    """Searches papers by keyword and by meaning and fuses the two."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        keyword: KeywordIndex,
        dense: DenseIndex,
        embedder: Callable[[str], Embedder],
        fusion: Fusion | None = None,
    ) -> None:
        """``embedder(model_id)`` gives the embedder of the model whose vectors are searched
        (called only when a query must be embedded)."""
        self.engine = engine
        self.keyword = keyword
        self.dense = dense
        self.fusion = fusion or Fusion()
        self._embedder = embedder
        self._query_vector = lru_cache(maxsize=512)(self._embed_query)
        # Owned here and released by close(); threads start on first use and are reused.
        self._legs = ThreadPoolExecutor(LEG_THREADS, thread_name_prefix="dailypapers-search")

    def close(self) -> None:
        """Stop the vector-leg threads (searches in flight finish first)."""
        self._legs.shutdown(wait=True)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        offset: int = 0,
        filters: SearchFilters | None = None,
        sort: Sort = "relevance",
    ) -> SearchPage:
        """A page of results for the search box text plus structured filters (which add to
        any ``cat:``/``author:``/``year:`` typed in the text).

        Raises InputError (one readable line) for a bad page, sort or ``year:`` filter; any
        other text, however odd, is searched as words.
        """
        _check_page(limit, offset, sort)
        parsed = parse_query(_valid_unicode(query))
        filters = _merge_filters(parsed, filters or SearchFilters())
        if parsed.is_empty:
            return self._browse(filters, sort=sort, limit=limit, offset=offset)
        ranked = self.rank(parsed, filters, depth=max(MIN_DEPTH, offset + limit))
        if sort != "relevance":
            ranked = self._reorder(ranked, sort)
        return self._page(ranked, parsed, limit=limit, offset=offset)

    def rank(self, query: Query, filters: SearchFilters, *, depth: int) -> Ranking:
        """The fused ranking of every candidate, best first."""
        legs = self.legs(query, filters, depth=depth)
        return self.fusion.fuse(legs.keyword, legs.dense)

    def legs(self, query: Query, filters: SearchFilters, *, depth: int) -> Legs:
        """Up to ``depth`` candidates from each leg, filters and text constraints applied.

        The legs run at once, the vector leg in a worker thread: both spend their time in C
        (SQLite, onnxruntime, usearch) with the GIL released, so a query costs about the
        slower leg rather than the sum of both.
        """
        dense = self._legs.submit(self._dense_leg, query, filters, depth)
        try:
            with self.engine.connect() as conn:
                keyword = self.keyword.search(conn, query, k=depth, filters=filters)
        finally:
            dense_ranking = dense.result()
        return Legs(keyword, dense_ranking)

    def similar(self, paper_id: int, k: int = 10) -> list[SearchHit]:
        """The ``k`` papers nearest in meaning, without the paper itself or other copies of it
        (same normalised title); [] when the paper has no vector yet."""
        dense = self.dense.pinned()
        with self.engine.connect() as conn:
            vector = store.vector_of(conn, paper_id, dense.model_id)
        if vector is None or k <= 0:
            return []
        neighbours = dense.search(vector, 2 * k + 10)
        with self.engine.connect() as conn:
            keys = store.title_keys(conn, [paper_id, *(i for i, _ in neighbours)])
        seen = {keys.get(paper_id)}
        chosen: Ranking = []
        for pid, score in neighbours:
            if pid != paper_id and pid in keys and keys[pid] not in seen:
                seen.add(keys[pid])
                chosen.append((pid, score))
        return self._hits(chosen[:k], frozenset())

    def _dense_leg(self, query: Query, filters: SearchFilters, depth: int) -> Ranking:
        dense = self.dense.pinned()  # one model for the whole query, even across a switch
        if not dense.available():
            return []
        constrained = filters.active or bool(query.phrases or query.excluded)
        fetch = depth * FILTER_OVERFETCH if constrained else depth
        vector = self._query_vector(dense.model_id, query.free_text)
        if vector is None:
            return []
        hits = dense.search(vector, fetch)
        if not constrained:
            # Nothing to check per candidate: a paper deleted since the index was refreshed
            # is dropped when the page's papers are read (_hits). Checking all of them here
            # cost a random read of the papers table each, 25 ms a query at a million papers.
            return hits
        with self.engine.connect() as conn:
            allowed = store.keep_matching(conn, [i for i, _ in hits], filters)
            allowed = self._text_constraints(conn, query, allowed)
        return [(i, s) for i, s in hits if i in allowed][:depth]

    def _text_constraints(self, conn: sa.Connection, query: Query, ids: set[int]) -> set[int]:
        """The ids that contain every phrase and none of the excluded words."""
        if query.phrases:
            required = Query(phrases=query.phrases, excluded=query.excluded)
            return self.keyword.matching(conn, required, ids)
        if query.excluded:
            return ids - self.keyword.matching(conn, Query(terms=query.excluded), ids)
        return ids

    def _embed_query(self, model_id: str, text: str) -> np.ndarray | None:
        """The query's vector from ``model_id``'s embedder; None when that model cannot be
        loaded here (say, vectors of a model whose package was replaced): the vectors are
        then not comparable with any query, and the keyword leg answers alone."""
        embedder = self._embedder(model_id)
        if embedder.model_id != model_id:
            return None
        return embedder.embed([text])[0]

    def _browse(self, filters: SearchFilters, *, sort: Sort, limit: int, offset: int) -> SearchPage:
        """No text to rank by: filtered papers, newest (or most upvoted) first."""
        if not filters.active:
            return SearchPage([], 0, offset, limit)
        order: store.Order = "upvotes" if sort == "upvotes" else "date"
        with self.engine.connect() as conn:
            ids, total = store.browse(conn, filters, order=order, limit=limit, offset=offset)
        return SearchPage(self._hits([(i, 0.0) for i in ids], frozenset()), total, offset, limit)

    def _reorder(self, ranked: Ranking, sort: Sort) -> Ranking:
        """The relevant candidates re-sorted by date or upvotes, newest / most first."""
        with self.engine.connect() as conn:
            found = {p.id: p for p in get_papers(conn, [i for i, _ in ranked])}
        scores = dict(ranked)
        ordered = sorted(found.values(), key=lambda p: _sort_key(p, sort), reverse=True)
        return [(p.id, scores[p.id]) for p in ordered]

    def _page(self, ranked: Ranking, query: Query, *, limit: int, offset: int) -> SearchPage:
        # The words the keyword leg searched: a stopword ("for") it ignored is not marked.
        searched = without_stopwords(query)
        stems = query_stems((*searched.terms, *searched.phrases))
        hits = self._hits(ranked[offset : offset + limit], stems)
        return SearchPage(hits, len(ranked), offset, limit)

    def _hits(self, ranked: Ranking, stems: frozenset[str]) -> list[SearchHit]:
        with self.engine.connect() as conn:
            found = {p.id: p for p in get_papers(conn, [i for i, _ in ranked])}
        return [
            SearchHit(
                paper_id=pid,
                score=score,
                title_html=highlight(found[pid].title, stems),
                snippet_html=snippet(found[pid].abstract, stems),
                paper=found[pid],
            )
            for pid, score in ranked
            if pid in found
        ]


def _sort_key(paper: Paper, sort: Sort) -> tuple[float, int]:
    if sort == "upvotes":
        return float(paper.upvotes), paper.id
    return (paper.published_at.timestamp() if paper.published_at else float("-inf")), paper.id


def _valid_unicode(text: str) -> str:
    """Lone surrogates cannot be encoded for the database or the tokenizer; replace them."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _check_page(limit: int, offset: int, sort: str) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InputError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
    if sort not in SEARCH_SORTS:
        raise InputError(f"sort must be {', '.join(SEARCH_SORTS)}, got {sort!r}")


def _merge_filters(query: Query, given: SearchFilters) -> SearchFilters:
    """The filters typed in the query (author:, cat:, year:) added to those given apart."""
    since, until = given.since, given.until
    if query.year_from is not None:
        since = max(filter(None, (since, date(query.year_from, 1, 1))))
    if query.year_to is not None:
        until = min(filter(None, (until, date(query.year_to, 12, 31))))
    return SearchFilters(
        since=since,
        until=until,
        categories=(*given.categories, *query.categories),
        authors=(*given.authors, *query.authors),
        has_code=given.has_code,
        featured_only=given.featured_only,
    )


def build_searcher(
    engine: sa.Engine,
    index_dir: Path,
    *,
    embedder: Callable[[str], Embedder],
    model_id: str,
    fusion: Fusion | None = None,
) -> HybridSearcher:
    """The searcher for the engine's backend; ``embedder`` is called only when a query must be
    embedded. The vectors searched are the serving model's (``ServingIndex``); ``model_id``,
    the configured model (known without loading it), serves until any model has vectors."""
    return HybridSearcher(
        engine,
        keyword=keyword_index_for(engine),
        dense=ServingIndex(engine, index_dir, configured=model_id),
        embedder=embedder,
        fusion=fusion,
    )
