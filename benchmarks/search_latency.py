"""Hybrid search latency (p50/p99) and index memory at growing store sizes.

SYNTHETIC DATA, said in the output too: embedding a million abstracts on two cores takes
hours, so the stores are made from the bundled sample. Each synthetic paper takes its title
from one real record and its abstract from sentences of three real records; its vector is the
real embedding of its title record plus Gaussian noise (sigma per dimension), renormalised.
Queries are word runs cut from real titles and go through the full path (parse, FTS5, query
embedding with the real model, HNSW, filters, fusion, snippets); each leg is then timed alone
on the same queries (the keyword leg as hybrid search calls it; the vector leg = embedding +
HNSW). The load average is printed with each size: the machine may be shared.

    python benchmarks/search_latency.py --sizes 10000 100000 [--cache FILE] [--queries 200]
        [--keep DIR]

By default the sample's vectors come from the file shipped with it (no embedding needed).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from dailypapers.ingest.bundled import SAMPLE_VECTORS, sample_files
from dailypapers.ingest.loader import import_file
from dailypapers.models import SearchFilters
from dailypapers.search.dense import UsearchFileIndex
from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.search.query import parse_query
from dailypapers.search.searcher import MIN_DEPTH, HybridSearcher, build_searcher
from dailypapers.search.texts import paper_text
from dailypapers.search.vectors import UsearchIndex
from dailypapers.store import migrate
from dailypapers.store.database import create_engine, transaction
from dailypapers.store.schema import paper_embeddings, papers, utcnow
from dailypapers.store.search import insert_documents

NOISE_SIGMA = 0.02
BATCH = 5000


def sample_papers() -> list[tuple[str, str]]:
    """(title, abstract) of every bundled sample paper, read through a real import."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/sample.sqlite3")
        migrate.upgrade(engine)
        for path in sample_files():
            import_file(engine, path)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(papers.c.title, papers.c.abstract).order_by(papers.c.id))
            result = [(r.title, r.abstract) for r in rows]
        engine.dispose()
    return result


def synthetic(
    sample: list[tuple[str, str]], vectors: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """``n`` recombined papers, their noisy vectors, and which sample record each came from."""
    sentences = [re.split(r"(?<=\.)\s+", abstract) for _, abstract in sample]
    base = rng.integers(0, len(sample), n)
    docs = []
    for i, b in enumerate(base):
        mix = [sentences[(b + j * 7919 + i) % len(sample)] for j in range(3)]
        abstract = " ".join(s[(i + j) % len(s)] for j, s in enumerate(mix))
        docs.append((sample[b][0], abstract))
    noisy = np.empty((n, vectors.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices: float64 noise for 1M rows would be 3 GB
        rows = base[start : start + 100_000]
        noise = rng.normal(0, NOISE_SIGMA, (len(rows), vectors.shape[1])).astype(np.float32)
        chunk = vectors[rows] + noise
        noisy[start : start + len(rows)] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return docs, noisy, base


def build_store(
    folder: Path, docs: list[tuple[str, str]], vectors: np.ndarray, model_id: str
) -> sa.Engine:
    """A SQLite store with the papers (FTS5 filled by its triggers) and their vectors."""
    engine = create_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    migrate.upgrade(engine)
    now = utcnow()
    for start in range(0, len(docs), BATCH):
        with transaction(engine) as conn:
            ids = insert_documents(conn, docs[start : start + BATCH])
            conn.execute(
                paper_embeddings.insert(),
                [
                    {
                        "paper_id": pid,
                        "model_id": model_id,
                        "content_hash": "synthetic",
                        "text_hash": hashlib.sha256(str(pid).encode()).hexdigest(),
                        "vector": vectors[start + k],
                        "embedded_at": now,
                    }
                    for k, pid in enumerate(ids)
                ],
            )
    return engine


def build_vector_file(engine: sa.Engine, folder: Path, vectors: np.ndarray, model_id: str) -> None:
    """The usearch file that ``refresh`` would derive, built from the vectors in memory in one
    multi-threaded add: reading a million blobs back through SQLAlchemy first took minutes."""
    with engine.connect() as conn:
        ids = np.fromiter(conn.execute(sa.select(papers.c.id).order_by(papers.c.id)).scalars(), int)
    index = UsearchIndex(vectors.shape[1], model_id=model_id)
    index.add(ids, vectors)
    path = UsearchFileIndex(engine, folder, model_id=model_id).path
    path.parent.mkdir(parents=True, exist_ok=True)
    index.save(path)


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc), to measure what loading an index adds."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def queries_from(sample: list[tuple[str, str]], count: int, rng: random.Random) -> list[str]:
    """Runs of 2-4 words from real titles: short, like what people type in a search box."""
    out = []
    for title, _ in rng.sample(sample, count):
        words = re.findall(r"[A-Za-z][A-Za-z-]+", title)
        if len(words) >= 2:
            start = rng.randrange(max(1, len(words) - 2))
            out.append(" ".join(words[start : start + rng.randint(2, 4)]))
    return out


def timed(searcher: HybridSearcher, queries: list[str]) -> list[float]:
    """Milliseconds per full hybrid search, first page of 20."""
    times = []
    for q in queries:
        started = time.perf_counter()
        searcher.search(q, limit=20)
        times.append((time.perf_counter() - started) * 1000)
    return times


def timed_legs(
    searcher: HybridSearcher, embedder: Embedder, queries: list[str]
) -> tuple[list[float], list[float]]:
    """Milliseconds per keyword leg alone (the depth hybrid search asks for) and per vector
    leg alone (query embedding, not cached, plus the HNSW search)."""
    keyword, dense = [], []
    none = SearchFilters()
    for text in queries:
        query = parse_query(text)
        started = time.perf_counter()
        with searcher.engine.connect() as conn:
            searcher.keyword.search(conn, query, k=MIN_DEPTH, filters=none)
        keyword.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        searcher.dense.search(embedder.embed([query.free_text + " "])[0], MIN_DEPTH)
        dense.append((time.perf_counter() - started) * 1000)
    return keyword, dense


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def fts_mb(engine: sa.Engine) -> float:
    """MB of the FTS5 index pages (dbstat), or -1 where SQLite lacks dbstat."""
    try:
        with engine.connect() as conn:
            q = "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'papers_fts%'"
            return float(conn.exec_driver_sql(q).scalar_one() or 0) / 2**20
    except sa.exc.OperationalError:
        return -1.0


def read_indexes(engine: sa.Engine, vector_folder: Path) -> None:
    """Reads the FTS5 postings and the usearch file once, as a busy server has them in the
    page cache; without this, a run after the cache was dropped measures the disk (p50
    26-49 ms at 1M instead of 10-15)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT SUM(LENGTH(block)) FROM papers_fts_data").scalar()
    for path in vector_folder.glob("*.usearch"):
        with path.open("rb") as f:
            while f.read(1 << 24):
                pass


def run_size(
    n: int,
    sample: list[tuple[str, str]],
    vectors: np.ndarray,
    embedder: Embedder,
    queries: list[str],
    warmup: list[str],
    keep: Path | None,
) -> None:
    """Build (or, with ``keep``, reuse) a store of ``n`` synthetic papers, then time queries
    and measure memory."""
    with tempfile.TemporaryDirectory(prefix="dp-bench-") as tmp:
        folder = keep / str(n) if keep else Path(tmp)
        started = time.perf_counter()
        if (folder / "search").exists():
            engine = create_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
            migrate.upgrade(engine)  # a kept store is measured on the current schema
        else:
            folder.mkdir(parents=True, exist_ok=True)
            docs, noisy, _ = synthetic(sample, vectors, n, np.random.default_rng(n))
            engine = build_store(folder, docs, noisy, embedder.model_id)
            build_vector_file(engine, folder / "search", noisy, embedder.model_id)
            del docs, noisy
        searcher = build_searcher(
            engine, folder / "search", embedder=lambda _model: embedder, model_id=embedder.model_id
        )
        built = time.perf_counter() - started
        before = rss_mb()
        read_indexes(engine, folder / "search")
        timed(searcher, warmup)  # opens the index; other queries, so none is timed warm
        times = timed(searcher, queries)
        after = rss_mb()
        keyword_ms, dense_ms = timed_legs(searcher, embedder, queries)
        embed_ms = [_embed_ms(embedder, q) for q in queries[:50]]
        index_file = sum(p.stat().st_size for p in (folder / "search").glob("*.usearch"))
        print(
            f"n={n:>9,}  build {built:6.0f} s  hybrid p50 {percentile(times, 50):6.1f} ms  "
            f"p99 {percentile(times, 99):6.1f} ms  | keyword leg p50 "
            f"{percentile(keyword_ms, 50):.1f} / p99 {percentile(keyword_ms, 99):.1f} ms  "
            f"| vector leg p50 {percentile(dense_ms, 50):.1f} / p99 "
            f"{percentile(dense_ms, 99):.1f} ms (query embedding alone p50 "
            f"{percentile(embed_ms, 50):.1f} ms)  RSS +{after - before:6.0f} MB  "
            f"usearch file {index_file / 2**20:6.0f} MB  FTS5 {fts_mb(engine):6.0f} MB  "
            f"db file {(folder / 'bench.sqlite3').stat().st_size / 2**20:6.0f} MB  "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            flush=True,
        )
        searcher.close()
        engine.dispose()


def _embed_ms(embedder: Embedder, text: str) -> float:
    started = time.perf_counter()
    embedder.embed([text + " "])
    return (time.perf_counter() - started) * 1000


def main() -> None:
    """Parse options and run each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--cache",
        type=Path,
        default=SAMPLE_VECTORS,
        help="embedding cache (.npz) for the sample (default: the vectors shipped with it)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep each store in KEEP/<size> and reuse it later (the 1M build takes 10 min)",
    )
    args = parser.parse_args()
    print(
        "SYNTHETIC STORES: titles/abstract sentences recombined from the bundled sample; vectors ="
        f" real sample embeddings + Gaussian noise (sigma {NOISE_SIGMA}/dim), renormalised. FTS5"
        " postings and the usearch file are read once before timing (a busy server keeps them"
        " in the page cache)."
    )
    sample = sample_papers()
    embedder = load_embedder()
    cached = CachedEmbedder(embedder, args.cache)
    vectors = cached.embed([paper_text(t, a) for t, a in sample])
    queries = queries_from(sample, args.queries, random.Random(7))
    warmup = [q for q in queries_from(sample, 40, random.Random(8)) if q not in queries][:20]
    for n in args.sizes:
        run_size(n, sample, vectors, embedder, queries, warmup, args.keep)


if __name__ == "__main__":
    main()
