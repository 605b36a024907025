"""How fast is the per-reader model? A refit after one signal, and ranking 100,000 papers.

Two measurements, medians of ``--repeats`` runs:

1. The model alone (dailypapers.recommend.model): a warm refit on a reader with
   ``--positives`` marked papers, 300 random and 20 explicit negatives; scoring, blending and
   taking the top 50 of ``--candidates`` random unit vectors of the embedder's dimension.
2. The whole update as the product runs it (Recommender.update against a real SQLite store):
   read the signals and their stored vectors, refit, write the weights.

    python benchmarks/recommend_speed.py [--candidates 100000] [--positives 200] [--repeats 20]
        [--model-only]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dailypapers.recommend import model as rec

DIM = 384


def _median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def model_alone(args: argparse.Namespace) -> None:
    """Refit and ranking timings of the pure model on random unit vectors."""
    rng = np.random.default_rng(0)
    candidates = _unit(rng.normal(size=(args.candidates, DIM)))
    examples = rec.Examples(
        _unit(rng.normal(size=(args.positives, DIM)) + 2 * rng.normal(size=DIM)),
        _unit(rng.normal(size=(20, DIM))),
        _unit(rng.normal(size=(300, DIM))),
    )
    cold = rec.fit(examples, model_id="bench")
    assert cold is not None
    ages = rng.uniform(0, 30, size=args.candidates).astype(np.float32)
    affinity = np.zeros(args.candidates, dtype=np.float32)
    affinity[rng.integers(0, args.candidates, 500)] = rec.AUTHOR_WEIGHT

    def rank() -> np.ndarray:
        scores = rec.blend(rec.score(cold, candidates), affinity=affinity, age_days=ages)
        return rec.top_k(scores, 50)

    cold_ms = _median_ms(lambda: rec.fit(examples, model_id="bench"), args.repeats)
    warm_ms = _median_ms(lambda: rec.fit(examples, model_id="bench", warm=cold), args.repeats)
    rank_ms = _median_ms(rank, args.repeats)
    print(f"model fit from scratch ({args.positives} positives, 320 negatives): {cold_ms:.1f} ms")
    print(f"model refit, warm start (what each signal triggers):         {warm_ms:.1f} ms")
    print(f"rank {args.candidates:,} candidates (score + blend + top 50):      {rank_ms:.1f} ms")


def through_the_store(args: argparse.Namespace) -> None:
    """Recommender.update on a SQLite store of ``--store-papers`` papers with vectors
    (imported here: ``--model-only`` runs where only numpy is installed)."""
    from dailypapers.config import Settings
    from dailypapers.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(Settings(data_dir=Path(tmp)))
        runtime.ensure_schema()
        model_id = runtime.embedding_model_id
        uid = _fill(runtime, model_id, args)
        recommender = runtime.recommender
        recommender.update(uid)  # the first fit; what follows are refits after a signal
        update_ms = _median_ms(lambda: recommender.update(uid), args.repeats)
        ids = list(range(1, args.store_papers + 1))
        rank_ms = _median_ms(lambda: recommender.rank(uid, ids), max(3, args.repeats // 4))
        runtime.close()
    print(
        f"Recommender.update on SQLite ({args.store_papers:,} papers, {args.positives} saves, "
        f"20 dismissals): {update_ms:.1f} ms"
    )
    print(
        f"Recommender.rank of all {args.store_papers:,} stored papers (reads papers and "
        f"vectors, reasons): {rank_ms:.1f} ms"
    )


def _fill(runtime: Any, model_id: str, args: argparse.Namespace) -> int:
    from dailypapers.store import readers
    from dailypapers.store.database import transaction
    from dailypapers.store.schema import paper_embeddings, papers
    from dailypapers.store.users import create_user

    rng = np.random.default_rng(1)
    now = datetime.now(UTC)
    n = args.store_papers
    with transaction(runtime.engine) as conn:
        conn.execute(
            papers.insert(),
            [
                {
                    "title": f"Paper {i}",
                    "title_key": f"paper {i}",
                    "abstract": "",
                    "content_hash": f"{i:064d}",
                    "published_at": now - timedelta(days=int(i % 60)),
                    "created_at": now,
                    "modified_at": now,
                }
                for i in range(1, n + 1)
            ],
        )
        vectors = _unit(rng.normal(size=(n, DIM)))
        conn.execute(
            paper_embeddings.insert(),
            [
                {
                    "paper_id": i + 1,
                    "model_id": model_id,
                    "content_hash": f"{i + 1:064d}",
                    "text_hash": "",
                    "vector": vectors[i],
                    "embedded_at": now,
                }
                for i in range(n)
            ],
        )
        uid = create_user(conn, "bench", email=None, password_hash="x").id
        chosen = rng.choice(n, size=args.positives + 20, replace=False) + 1
        for pid in chosen[: args.positives]:
            readers.add_mark(conn, "save", uid, int(pid))
        for pid in chosen[args.positives :]:
            readers.add_mark(conn, "dismiss", uid, int(pid))
    return uid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--positives", type=int, default=200)
    parser.add_argument("--store-papers", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--model-only", action="store_true", help="skip the SQLite part")
    args = parser.parse_args()
    model_alone(args)
    if not args.model_only:
        through_the_store(args)


if __name__ == "__main__":
    main()
