"""Tune the keyword leg's field weights and the fusion settings on BEIR collections.

Each collection is indexed once in a throw-away store (as `dailypapers eval` does); the vector
leg is computed once, the keyword leg once per title weight, and every fusion setting is then
scored from the saved legs. Prints nDCG@10 per collection and the mean, for every setting
tried, as markdown tables. Only the tuning collections may be given (shared/eval), never the
held-out ones.

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
from dailypapers.search.evaluate import load_beir, score_run
from dailypapers.search.keyword import Fts5Index
from dailypapers.search.searcher import Fusion

TITLE_WEIGHTS = (1.0, 1.5, 2.0, 3.0, 4.0)
FUSIONS = (
    *(Fusion(method="rrf", rrf_k=k, min_similarity=0.25) for k in (10, 20, 40, 60, 100)),
    *(Fusion(method="convex", alpha=a, min_similarity=0.25) for a in (0.3, 0.4, 0.5, 0.6, 0.7)),
    Fusion(method="rrf", rrf_k=60, min_similarity=0.0),
)


def ndcg(run: dict[str, list[str]], collection: object) -> float:
    return score_run(run, collection)["ndcg@10"]  # type: ignore[arg-type]


def tune(folder: Path, cache: Path, work: Path) -> dict[str, float]:
    """nDCG@10 of every setting on one collection, keyed by the setting's label."""
    collection = load_beir(folder)
    embedder = CachedEmbedder(load_embedder(threads=2), cache)
    searcher, doc_of = _indexed(collection, embedder=embedder, work_dir=work)
    queries = {qid: _parse(text) for qid, text in collection.queries.items()}
    none = SearchFilters()
    dense = {qid: searcher._dense_leg(q, none, DEPTH) for qid, q in queries.items()}
    scores: dict[str, float] = {}

    def run_of(rankings: dict[str, list[tuple[int, float]]]) -> dict[str, list[str]]:
        return {qid: [doc_of[p] for p, _ in r[:DEPTH]] for qid, r in rankings.items()}

    scores["dense"] = ndcg(run_of(dense), collection)
    keyword_by_weight = {}
    for weight in TITLE_WEIGHTS:
        index = Fts5Index(title_weight=weight)
        with searcher.engine.connect() as conn:
            keyword_by_weight[weight] = {
                qid: index.search(conn, q, k=DEPTH, filters=none) for qid, q in queries.items()
            }
        scores[f"bm25 titlex{weight:g}"] = ndcg(run_of(keyword_by_weight[weight]), collection)
    for weight, keyword in keyword_by_weight.items():
        for fusion in FUSIONS:
            fused = {qid: fusion.fuse(keyword[qid], dense[qid]) for qid in queries}
            scores[f"hybrid titlex{weight:g} {label(fusion)}"] = ndcg(run_of(fused), collection)
    embedder.save()
    return scores


def label(fusion: Fusion) -> str:
    """A short name for a fusion setting."""
    setting = f"rrf k={fusion.rrf_k}" if fusion.method == "rrf" else f"convex alpha={fusion.alpha}"
    return f"{setting} min_sim={fusion.min_similarity}"


def main() -> None:
    """Tune on each collection, then print one row per setting."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    for folder in args.folders:
        with tempfile.TemporaryDirectory(prefix="dp-tune-") as tmp:
            results[folder.name] = tune(folder, args.cache_dir / f"{folder.name}.npz", Path(tmp))
        print(f"done {folder.name}", flush=True)
    names = list(results)
    print("| setting | " + " | ".join(names) + " | mean |")
    print("|---|" + "---:|" * (len(names) + 1))
    for setting in results[names[0]]:
        row = [results[n][setting] for n in names]
        cells = " | ".join(f"{v:.4f}" for v in row)
        print(f"| {setting} | {cells} | {sum(row) / len(row):.4f} |")


if __name__ == "__main__":
    main()
