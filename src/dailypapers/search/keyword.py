"""Keyword (lexical) retrieval inside the database: SQLite FTS5 BM25 or PostgreSQL full text.

Both indexes are maintained by the database itself (FTS5 triggers, a generated tsvector column;
migration 0003), so a paper is findable by keyword as soon as its import commits and nothing
here has to add or remove documents. Both return ``[(paper_id, score)]`` best first, higher is
better, and take the same filters as the rest of search. User text only ever reaches SQL as
bound parameters rendered by dailypapers.search.query (every word quoted).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from dailypapers.models import SearchFilters
from dailypapers.search.query import (
    Query,
    fts5_any_of,
    repeated_terms,
    to_fts5,
    to_tsquery_parts,
    without_stopwords,
)
from dailypapers.store.schema import papers
from dailypapers.store.search import filter_clauses

TITLE_WEIGHT = 3.0
"""BM25 column weight of the title relative to the abstract (1.0); see docs/search-quality.md."""
AUTHORS_WEIGHT = 1.0
QUERY_REPEATS = 3
"""A word typed several times in a query counts up to this many times in its BM25 score
(``query.repeated_terms``); tuned on the eval collections, docs/search-quality.md."""
ENOUGH_ALL_WORDS = 20
"""Papers with every word that make the any-word query unnecessary (one default page).

Scoring is the cost of a keyword query (FTS5 bm25() or ts_rank_cd per matching row), and a
query matching *any* word scores a large share of a big store, while one matching *all* words
scores few rows. So all words are tried first; any-word is the fallback for the long
natural-language queries that match nothing with every word. On the eval collections the
fallback almost always runs (their queries are sentences), so quality is unchanged there
(docs/search-quality.md)."""
MAX_RANKED = 20_000
"""At most this many matches are scored, the newest (highest ids) first: a query whose words
are in 300,000 of a million papers cost 270 ms to rank in full, 60 ms capped. Only queries
that match more than this are affected, and the vector leg still searches every paper."""
MAX_SCORED_CANDIDATES = 500
"""In a store of more than SCORED_DF_LIMIT papers, a query that must match every word is
scored by bm25() over the newest this many papers with every word (the any-word fallback keeps
MAX_RANKED). bm25() costs about 2-4 us a scored row at a million papers (a document-size
lookup and the row's positions), so ranking every match of a word cost 20-75 ms a query there;
500 candidates cost 2-3 ms. The scoring cursor also starts at the oldest candidate, so it
reads only the newer part of each scored word's postings. Smaller stores (the sample, three of
the four eval collections) rank every match; NPL (11,429 documents) kept its nDCG@10 exactly
(docs/search-quality.md). The vector leg still searches every paper."""
SCORED_DF_LIMIT = 5_000
"""When every query word must match (all-words mode, or a single word), a word or phrase is
scored by bm25() only if each of its tokens is in at most this many papers; commoner words
must still match but add nothing to the score. The any-word fallback scores every word.

FTS5 keeps no document frequencies: bm25() counts the papers that have each scored word by
reading the word's whole posting list, on every query and whatever the LIMIT (about 80 ns a
posting, plus about 350 ns a posting the scoring cursor steps over), so a scored word in
20,000 papers cost 8-9 ms at a million papers even when the other word of the query is in
100. A word past this limit in a store of N papers has a BM25 IDF of at most log(N / 5,000),
5.3 at a million papers, small beside the rarer words that are scored, and the vector leg
still ranks by meaning. Stores of fewer papers are never affected; on the eval collections
the keyword leg's nDCG@10 was the same at 5,000 as at 25,000 (docs/search-quality.md)."""
POSTINGS_TTL_SECONDS = 600.0
"""How long a token's (capped) paper count is reused: it only decides whether a word is cheap
enough to score, which a few new papers do not change."""
_TOKEN = re.compile(r"[^\W_]+")
"""Roughly FTS5 unicode61's tokens: a hyphenated word is a phrase of several tokens, and each
costs its own posting list."""


class _PapersWith:
    """How many papers match a word, counted up to ``cap`` + 1 (so at most that many postings
    are read) and remembered for POSTINGS_TTL_SECONDS; ``count(conn, word, limit)`` counts."""

    def __init__(self, count: Callable[[sa.Connection, str, int], int], cap: int) -> None:
        self._count = count
        self.cap = cap
        self._known: dict[str, tuple[float, int]] = {}

    def __call__(self, conn: sa.Connection, word: str) -> int:
        now = time.monotonic()
        cached = self._known.get(word)
        if cached is not None and cached[0] > now:
            return cached[1]
        count = self._count(conn, word, self.cap + 1)
        if len(self._known) >= 100_000:
            self._known.clear()
        self._known[word] = (now + POSTINGS_TTL_SECONDS, count)
        return count


def _capped_count(matches: sa.Select[Any], limit: int) -> sa.Select[int]:
    """``count(*)`` of at most ``limit`` rows of ``matches``."""
    return sa.select(sa.func.count()).select_from(matches.limit(limit).subquery())


class KeywordIndex(Protocol):
    """Lexical retrieval over the papers table."""

    def search(
        self, conn: sa.Connection, query: Query, *, k: int, filters: SearchFilters
    ) -> list[tuple[int, float]]:
        """Up to ``k`` (paper id, score) pairs matching the text of ``query``, best first."""
        ...

    def matching(self, conn: sa.Connection, query: Query, ids: Collection[int]) -> set[int]:
        """The ``ids`` whose text matches ``query`` (used to apply phrases and exclusions to
        candidates that came from the vector index)."""
        ...

    def rebuild(self, conn: sa.Connection) -> None:
        """Re-derive the index from the papers table (repair; never needed in normal use)."""
        ...


_FTS = sa.table("papers_fts", sa.column("rowid", sa.Integer))
_FTS_TABLE: sa.ColumnClause[str] = sa.literal_column("papers_fts")


class _AllWordsFirst:
    """The search shared by both indexes: all query words first, any word as the fallback."""

    def search(
        self, conn: sa.Connection, query: Query, *, k: int, filters: SearchFilters
    ) -> list[tuple[int, float]]:
        query = self._prepare(query)
        if query.is_empty or k <= 0:
            return []
        return all_words_first(
            lambda all_words: self._ranked(conn, query, all_words, k=k, filters=filters),
            query,
            k=k,
        )

    def _prepare(self, query: Query) -> Query:
        return query

    def _ranked(
        self,
        conn: sa.Connection,
        query: Query,
        all_words: bool,
        *,
        k: int,
        filters: SearchFilters,
    ) -> list[tuple[int, float]]:
        raise NotImplementedError


class Fts5Index(_AllWordsFirst):
    """SQLite FTS5 with Porter stemming, ranked by bm25() with the title weighted up."""

    def __init__(
        self,
        *,
        title_weight: float = TITLE_WEIGHT,
        scored_df_limit: int = SCORED_DF_LIMIT,
        query_repeats: int = QUERY_REPEATS,
        scored_candidates: int = MAX_SCORED_CANDIDATES,
    ) -> None:
        self._rank = sa.func.bm25(_FTS_TABLE, title_weight, 1.0, AUTHORS_WEIGHT)
        self._repeats = query_repeats
        self._scored_candidates = scored_candidates
        self._papers_with = _PapersWith(self._count_matches, scored_df_limit)
        self._highest_id = _PapersWith(lambda conn, _word, _limit: _highest_id(conn), 0)

    def _large_store(self, conn: sa.Connection) -> bool:
        """Whether the store has more than SCORED_DF_LIMIT papers (by its highest id, cached
        like the word counts): only then is scoring capped at MAX_SCORED_CANDIDATES, so
        smaller stores (the eval collections, the sample) rank every match as before."""
        return self._highest_id(conn, "") > self._papers_with.cap

    def _prepare(self, query: Query) -> Query:
        """FTS5 has no stopword list; without this, "of" would match most of the store."""
        return without_stopwords(query)

    def _ranked(
        self,
        conn: sa.Connection,
        query: Query,
        all_words: bool,
        *,
        k: int,
        filters: SearchFilters,
    ) -> list[tuple[int, float]]:
        expression = to_fts5(query, require_all_terms=all_words, repeats=self._repeats)
        if expression is None:
            return []
        items = (*repeated_terms(query, at_most=self._repeats), *query.phrases)
        scored = [i for i in items if not all_words or self._cheap_to_score(conn, i)]
        newest = self._newest(expression, filters)
        if not scored:
            # Nothing rare enough to score: the newest papers with every word, in date order.
            rows = conn.execute(newest.limit(k)).scalars()
            return [(rowid, 1.0 / (1 + i)) for i, rowid in enumerate(rows)]
        if all_words and self._large_store(conn):
            candidates = list(conn.execute(newest.limit(self._scored_candidates)).scalars())
            if not candidates:
                return []
            found = self._score_only(scored, candidates)
        else:
            found = newest.add_columns(self._rank.label("rank")).subquery()
        q = sa.select(found.c.rowid, found.c.rank).order_by(found.c.rank, found.c.rowid).limit(k)
        # bm25() is lower-is-better; negate so every retriever agrees that higher is better.
        return [(row.rowid, -float(row.rank)) for row in conn.execute(q)]

    def _newest(self, expression: str, filters: SearchFilters) -> sa.Select[int]:
        """The newest MAX_RANKED matches of ``expression`` that pass the filters."""
        newest = (
            sa.select(_FTS.c.rowid)
            .where(_FTS_TABLE.op("MATCH")(expression))
            .order_by(_FTS.c.rowid.desc())
            .limit(MAX_RANKED)
        )
        if filters.active:
            # Only then: joining papers costs a primary-key lookup per matching row.
            newest = newest.join(papers, papers.c.id == _FTS.c.rowid)
            newest = newest.where(*filter_clauses(filters))
        return newest

    def _score_only(self, scored: Sequence[str], candidates: list[int]) -> sa.Subquery:
        """bm25() over the ``scored`` words alone, for the candidate rows (newest first): a
        second cursor whose MATCH names only cheap words, so only their posting lists are read,
        and only from the oldest candidate on (FTS5 seeks to a rowid bound)."""
        listed = sa.select(sa.column("value", sa.Integer)).select_from(
            sa.func.json_each(sa.literal(json.dumps(candidates)))
        )
        return (
            sa.select(_FTS.c.rowid, self._rank.label("rank"))
            .where(
                _FTS_TABLE.op("MATCH")(fts5_any_of(scored)),
                _FTS.c.rowid >= candidates[-1],
                # "+ 0" keeps SQLite from handing the IN list to FTS5 as rowid lookups, which
                # re-runs the MATCH (and bm25's counting) once per candidate.
                (_FTS.c.rowid + 0).in_(listed),
            )
            .subquery()
        )

    def _cheap_to_score(self, conn: sa.Connection, item: str) -> bool:
        """Whether each token of a word or phrase is in at most SCORED_DF_LIMIT papers."""
        return all(
            self._papers_with(conn, token) <= self._papers_with.cap
            for token in _TOKEN.findall(item.lower())
        )

    @staticmethod
    def _count_matches(conn: sa.Connection, token: str, limit: int) -> int:
        matches = sa.select(sa.literal(1)).select_from(_FTS)
        matches = matches.where(_FTS_TABLE.op("MATCH")(fts5_any_of([token])))
        return int(conn.execute(_capped_count(matches, limit)).scalar_one())

    def matching(self, conn: sa.Connection, query: Query, ids: Collection[int]) -> set[int]:
        expression = to_fts5(query)
        if expression is None or not ids:
            return set()
        q = sa.select(_FTS.c.rowid).where(
            _FTS_TABLE.op("MATCH")(expression), _FTS.c.rowid.in_(set(ids))
        )
        return set(conn.execute(q).scalars())

    def rebuild(self, conn: sa.Connection) -> None:
        """FTS5 re-reads its external content, the papers table (migration 0006)."""
        conn.exec_driver_sql("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")


_TSV: sa.ColumnClause[str] = sa.literal_column("papers.search_tsv")
_ENGLISH: sa.ColumnClause[str] = sa.literal_column("'english'::regconfig")


def all_words_first(
    ranked: Callable[[bool], list[tuple[int, float]]], query: Query, *, k: int
) -> list[tuple[int, float]]:
    """``ranked(True)`` (papers with every word) when it finds enough, else ``ranked(False)``
    (any word); see ENOUGH_ALL_WORDS for why. Phrases are always required, so with at most
    one word the two are the same query and only the first runs."""
    hits = ranked(True)
    if len(query.terms) <= 1 or len(hits) >= min(k, ENOUGH_ALL_WORDS):
        return hits
    return ranked(False)


def _tsquery(query: Query, *, all_words: bool = False) -> sa.ColumnElement[str] | None:
    """``websearch_to_tsquery`` of the safe parts, AND-ed; None when nothing positive."""
    parts = to_tsquery_parts(query, require_all_terms=all_words)
    pieces: list[sa.ColumnElement[str]] = [
        sa.func.websearch_to_tsquery(_ENGLISH, text)
        for text in (parts.all_of, parts.any_of)
        if text
    ]
    if query.is_empty or not pieces:
        return None
    combined = pieces[0]
    for piece in pieces[1:]:
        combined = combined.op("&&")(piece)
    return combined


PG_DF_CAP = 25_000
"""PostgreSQL counts a word's papers up to this many (then cached like FTS5's counts) for its
IDF: past it the IDF is overstated, and a count reads at most this many index entries."""
PG_LABEL_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
"""ts_rank's weights of the labels D, C, B, A: the title (A) counts twice the abstract (B),
the authors (C, migration 0016) less; PostgreSQL's default is {0.1, 0.2, 0.4, 1.0}. The A/B
ratio was tuned on the eval collections (which have no authors)."""
PG_RANK_NORMALISATION = 1
"""ts_rank's normalisation: 1 divides by 1 + log(document length), so long abstracts do not
win by length alone (0, none, and 2, by the length, both ranked worse)."""


class PostgresFullTextIndex(_AllWordsFirst):
    """PostgreSQL full text over the ``search_tsv`` column (kept by a trigger, migration 0018;
    english stemming; title A, abstract B, authors C), ranked like BM25: for each query word,
    its inverse document frequency x ts_rank of that word alone (the word's weighted,
    saturating count in the paper, divided by the log of the paper's length), summed.

    ts_rank and ts_rank_cd over the whole query have no notion of how rare a word is, so in a
    question every word counted as much as the subject ("methods" as much as "cataloguing"):
    nDCG@10 0.30 (ts_rank_cd) and 0.40 (ts_rank) on the eval collections, 0.45 with the IDF.
    Document frequencies are counted in the GIN index (capped like FTS5's, and cached).
    """

    def __init__(
        self,
        *,
        weights: str = PG_LABEL_WEIGHTS,
        normalisation: int = PG_RANK_NORMALISATION,
        query_repeats: int = QUERY_REPEATS,
        df_cap: int = PG_DF_CAP,
    ) -> None:
        array = f"'{_float_array(weights)}'::real[]"
        self._weights: sa.ColumnClause[str] = sa.literal_column(array)
        self._normalisation = normalisation
        self._repeats = query_repeats
        self._papers_with = _PapersWith(self._count_matches, df_cap)
        self._papers = _PapersWith(lambda conn, _word, _limit: _count_papers(conn), 0)

    def _prepare(self, query: Query) -> Query:
        """The english configuration drops its own stopwords; ours go too, as on SQLite."""
        return without_stopwords(query)

    def _ranked(
        self,
        conn: sa.Connection,
        query: Query,
        all_words: bool,
        *,
        k: int,
        filters: SearchFilters,
    ) -> list[tuple[int, float]]:
        tsq = _tsquery(query, all_words=all_words)
        if tsq is None:
            return []
        rank = self._rank(conn, query).label("rank")
        q = (
            sa.select(papers.c.id, rank)
            .where(_TSV.op("@@")(tsq), *filter_clauses(filters))
            .order_by(rank.desc(), papers.c.id)
            .limit(k)
        )
        return [(row.id, float(row.rank)) for row in conn.execute(q)]

    def _rank(self, conn: sa.Connection, query: Query) -> sa.ColumnElement[float]:
        """Sum over the words and phrases: times typed x IDF x ts_rank of the item alone."""
        n = self._papers(conn, "")
        items = Counter((*repeated_terms(query, at_most=self._repeats), *query.phrases))
        parts: list[sa.ColumnElement[float]] = []
        for item, times in items.items():
            df = self._papers_with(conn, item)
            if df == 0:  # absent, or only stopwords: nothing to score
                continue
            idf = math.log(1 + (max(n, df) - df + 0.5) / (df + 0.5))
            one = sa.func.ts_rank(self._weights, _TSV, _item_tsquery(item), self._normalisation)
            parts.append(one * sa.literal(times * idf, sa.Float))
        return sum(parts[1:], parts[0]) if parts else sa.literal(0.0, sa.Float)

    @staticmethod
    def _count_matches(conn: sa.Connection, item: str, limit: int) -> int:
        matches = sa.select(papers.c.id).where(_TSV.op("@@")(_item_tsquery(item)))
        return int(conn.execute(_capped_count(matches, limit)).scalar_one())

    def matching(self, conn: sa.Connection, query: Query, ids: Collection[int]) -> set[int]:
        tsq = _tsquery(query)
        if tsq is None or not ids:
            return set()
        q = sa.select(papers.c.id).where(_TSV.op("@@")(tsq), papers.c.id.in_(set(ids)))
        return set(conn.execute(q).scalars())

    def rebuild(self, conn: sa.Connection) -> None:
        """Nothing to do: PostgreSQL recomputes a generated column on every write."""


def _item_tsquery(item: str) -> sa.ColumnElement[str]:
    """The tsquery of one word or phrase, the user's text bound as a parameter."""
    return sa.func.websearch_to_tsquery(_ENGLISH, sa.literal(f'"{item}"', sa.String))


def _highest_id(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.max(papers.c.id))).scalar() or 0)


def _count_papers(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one())


def _float_array(text: str) -> str:
    """``text`` checked to be a PostgreSQL array of four numbers (it is spliced into SQL)."""
    values = [float(v) for v in text.strip("{} ").split(",")]
    if len(values) != 4:
        raise ValueError(f"expected four label weights, got {text!r}")
    return "{" + ",".join(repr(v) for v in values) + "}"


def keyword_index_for(engine: sa.Engine) -> KeywordIndex:
    """The keyword index that suits the engine's backend."""
    if engine.dialect.name == "postgresql":
        return PostgresFullTextIndex()
    return Fts5Index()
