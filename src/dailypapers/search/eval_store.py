"""Search quality of the real search stack on a BEIR collection, in a throw-away store.

The collection is loaded into a fresh SQLite store in ``work_dir`` (FTS5 triggers, vectors
through the normal sync), and every query goes through the same HybridSearcher legs that the
product uses; only the scoring comes from dailypapers.search.evaluate.
"""

from __future__ import annotations

from pathlib import Path

from dailypapers.errors import InputError
from dailypapers.models import SearchFilters
from dailypapers.search.dense import UsearchFileIndex
from dailypapers.search.embedder import Embedder
from dailypapers.search.evaluate import BeirCollection, load_beir, score_run
from dailypapers.search.keyword import Fts5Index
from dailypapers.search.query import Query, parse_query
from dailypapers.search.searcher import Fusion, HybridSearcher, Legs
from dailypapers.search.sync import sync
from dailypapers.store import migrate
from dailypapers.store.database import create_engine, transaction
from dailypapers.store.search import insert_documents

DEPTH = 100
"""Ranks scored: MAP@100 and Recall@100 need the top 100."""
MODES = ("bm25", "dense", "hybrid")

Runs = dict[str, dict[str, list[str]]]


def collection_legs(
    collection: BeirCollection, *, embedder: Embedder, work_dir: Path
) -> dict[str, tuple[Legs, dict[int, str]]]:
    """Per query id: the keyword and dense rankings (paper ids), plus paper id → doc id."""
    searcher, doc_of = _indexed(collection, embedder=embedder, work_dir=work_dir)
    return {
        qid: (searcher.legs(_parse(text), SearchFilters(), depth=DEPTH), doc_of)
        for qid, text in collection.queries.items()
    }


def evaluate_folder(
    folder: Path, *, embedder: Embedder, work_dir: Path, fusion: Fusion | None = None
) -> dict[str, dict[str, float]]:
    """nDCG@10, MAP@100, Recall@100 for keyword only, vectors only and the fused ranking."""
    collection = load_beir(folder)
    legs = collection_legs(collection, embedder=embedder, work_dir=work_dir)
    runs = runs_from_legs(legs, fusion or Fusion())
    return {mode: score_run(runs[mode], collection) for mode in MODES}


def runs_from_legs(legs: dict[str, tuple[Legs, dict[int, str]]], fusion: Fusion) -> Runs:
    """The three runs (document ids, best first) from saved legs, so fusion settings can be
    compared without searching again."""
    runs: Runs = {mode: {} for mode in MODES}
    for qid, (leg, doc_of) in legs.items():
        rankings = {
            "bm25": leg.keyword,
            "dense": leg.dense,
            "hybrid": fusion.fuse(leg.keyword, leg.dense),
        }
        for mode, ranked in rankings.items():
            runs[mode][qid] = [doc_of[pid] for pid, _ in ranked[:DEPTH]]
    return runs


def _indexed(
    collection: BeirCollection, *, embedder: Embedder, work_dir: Path
) -> tuple[HybridSearcher, dict[int, str]]:
    engine = create_engine(f"sqlite:///{work_dir / 'eval.sqlite3'}")
    migrate.upgrade(engine)
    doc_ids = list(collection.corpus)
    with transaction(engine) as conn:
        docs = [(collection.corpus[d].title, collection.corpus[d].text) for d in doc_ids]
        paper_ids = insert_documents(conn, docs)
    dense = UsearchFileIndex(engine, work_dir / "search", model_id=embedder.model_id)
    sync(engine, embedder, dense)
    searcher = HybridSearcher(
        engine, keyword=Fts5Index(), dense=dense, embedder=lambda _model: embedder
    )
    return searcher, dict(zip(paper_ids, doc_ids, strict=True))


def _parse(text: str) -> Query:
    """A test query as the search box would read it; one that cannot be parsed finds nothing."""
    try:
        return parse_query(text)
    except InputError:
        return Query()
