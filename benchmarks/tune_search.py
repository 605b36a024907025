"""Tune the keyword leg's field weight and query repeats and the fusion settings on BEIR
collections, printing every setting tried.

Each collection is indexed once in a throw-away SQLite store (as `dailypapers eval` does); the
vector leg is computed once, the keyword leg once per keyword setting, and every fusion
setting is then scored from the saved legs. Prints nDCG@10 per collection (all queries) and
three means over the collections: over the tuning queries (even positions in queries.jsonl),
over the held-out ones (odd positions) and over all. Settings are chosen on the tuning mean
and checked on the held-out one. Only the tuning collections may be given (shared/eval),
never the held-out collections.

    python benchmarks/tune_search.py --cache-dir DIR shared/eval/{cisi,cranfield,med,npl}

``--cache-dir`` holds NAME.npz embedding caches (benchmarks/fill_eval_cache.py).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from dailypapers.models import SearchFilters
from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.embedder import load_embedder
from dailypapers.search.eval_store import DEPTH, _indexed, _parse
from dailypapers.search.evaluate import BeirCollection, load_beir, ndcg_at_k
from dailypapers.search.keyword import Fts5Index
from dailypapers.search.searcher import Fusion

KEYWORD = {
    f"title x{w:g} repeats {r}": {"title_weight": w, "query_repeats": r}
    for r in (1, 3)
    for w in (2.0, 3.0, 4.0)
}
"""Keyword-leg settings: the title's bm25() column weight and how often a repeated query word
counts (keyword.QUERY_REPEATS)."""
FUSED_WITH = ("title x2 repeats 3", "title x3 repeats 3", "title x4 repeats 3")
FUSIONS = (
    *(Fusion(method="rrf", rrf_k=k) for k in (20, 60, 100)),
    *(Fusion(method="convex", alpha=a) for a in (0.2, 0.3, 0.4, 0.5, 0.6)),
    *(Fusion(method="convex", alpha=a, normalisation="zscore") for a in (0.3, 0.4, 0.5)),
    Fusion(method="convex", alpha=0.4, min_similarity=0.0),
)
Scores = dict[str, tuple[float, float, float]]
"""Per setting: nDCG@10 over the tuning queries, the held-out queries, all queries."""


def split(collection: BeirCollection) -> tuple[list[str], list[str]]:
    """Tuning queries (even positions) and held-out queries (odd positions)."""
    ids = list(collection.queries)
    return ids[0::2], ids[1::2]


def tune(folder: Path, cache: Path, work: Path) -> Scores:
    """nDCG@10 of every setting on one collection, keyed by the setting's label."""
    collection = load_beir(folder)
    tuning, held_out = split(collection)
    embedder = CachedEmbedder(load_embedder(threads=2), cache)
    searcher, doc_of = _indexed(collection, embedder=embedder, work_dir=work)
    queries = {qid: _parse(text) for qid, text in collection.queries.items()}
    none = SearchFilters()
    dense = {qid: searcher._dense_leg(q, none, DEPTH) for qid, q in queries.items()}
    scores: Scores = {}

    def score(rankings: dict[str, list[tuple[int, float]]]) -> tuple[float, float, float]:
        run = {qid: [doc_of[p] for p, _ in r[:DEPTH]] for qid, r in rankings.items()}
        return tuple(  # type: ignore[return-value]
            ndcg_at_k(run, collection.qrels, 10, ids)
            for ids in (tuning, held_out, list(collection.queries))
        )

    scores["dense"] = score(dense)
    keyword_legs = {}
    for name, setting in KEYWORD.items():
        index = Fts5Index(**setting)  # type: ignore[arg-type]
        with searcher.engine.connect() as conn:
            keyword_legs[name] = {
                qid: index.search(conn, q, k=DEPTH, filters=none) for qid, q in queries.items()
            }
        scores[f"keyword {name}"] = score(keyword_legs[name])
    for name in FUSED_WITH:
        keyword = keyword_legs[name]
        for fusion in FUSIONS:
            fused = {qid: fusion.fuse(keyword[qid], dense[qid]) for qid in queries}
            scores[f"hybrid {name}, {label(fusion)}"] = score(fused)
    searcher.close()
    embedder.save()
    return scores


def label(fusion: Fusion) -> str:
    """A short name for a fusion setting."""
    if fusion.method == "rrf":
        setting = f"rrf k={fusion.rrf_k}"
    else:
        setting = f"convex alpha={fusion.alpha} {fusion.normalisation}"
    return f"{setting} min_sim={fusion.min_similarity}"


def main() -> None:
    """Tune on each collection, then print one row per setting."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    results: dict[str, Scores] = {}
    for folder in args.folders:
        with tempfile.TemporaryDirectory(prefix="dp-tune-") as tmp:
            results[folder.name] = tune(folder, args.cache_dir / f"{folder.name}.npz", Path(tmp))
        print(f"done {folder.name}", flush=True)
    names = list(results)
    print("| setting | " + " | ".join(names) + " | mean tune | mean held-out | mean all |")
    print("|---|" + "---:|" * (len(names) + 3))
    for setting in results[names[0]]:
        rows = [results[n][setting] for n in names]
        cells = " | ".join(f"{r[2]:.4f}" for r in rows)
        means = " | ".join(f"{sum(r[i] for r in rows) / len(rows):.4f}" for i in range(3))
        print(f"| {setting} | {cells} | {means} |")


if __name__ == "__main__":
    main()
