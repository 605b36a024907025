"""Abstracts per second of Embedder.embed versus the bare onnxruntime session.

Why: the embedder adds tokenisation, length sorting, padding and pooling around the model;
this shows what that costs (goal: >= 90% of the raw session on the same pre-tokenised
batches) and how batch size and max_length trade speed for coverage of long abstracts.

    .venv/bin/python benchmarks/embed_throughput.py [--n 256] [--repeats 3] [--threads N]

Texts are "title. abstract" from /work/shared/data/hf-daily-papers.jsonl.gz when present,
else the texts of tests/data/minilm_reference.json. Prints medians over the repeats.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from dailypapers.search.embedder import OnnxEmbedder, load_embedder, pad_batch

PAPERS = Path("/work/shared/data/hf-daily-papers.jsonl.gz")
FALLBACK = Path(__file__).resolve().parents[1] / "tests" / "data" / "minilm_reference.json"


def load_texts(n: int) -> list[str]:
    """Real title + abstract strings, the same text the store will embed."""
    if PAPERS.exists():
        with gzip.open(PAPERS, "rt", encoding="utf-8") as f:
            papers = [json.loads(line)["paper"] for line in islice(f, n)]
        return [f"{p['title']}. {p['summary']}" for p in papers]
    items = json.loads(FALLBACK.read_text(encoding="utf-8"))["items"]
    return [items[i % len(items)]["text"] for i in range(n)]


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: first runs allocate arenas
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def embed_fn(embedder: OnnxEmbedder, texts: list[str], batch_size: int) -> Callable[[], object]:
    return lambda: embedder.embed(texts, batch_size=batch_size)


def raw_session_fn(embedder: OnnxEmbedder, texts: list[str], batch_size: int) -> Callable[[], None]:
    """The bare session on the same sorted, padded batches, tokenised beforehand (not timed)."""
    tokenizer = embedder._tokenizer
    encodings = sorted(tokenizer.encode_batch(texts), key=lambda e: len(e.ids))
    batches = [pad_batch(encodings[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
    session = embedder._session

    def run() -> None:
        for ids, mask in batches:
            session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": ids * 0})

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="number of abstracts")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    texts = load_texts(args.n)
    print(f"{len(texts)} abstracts, median of {args.repeats} runs, threads={args.threads}")
    print(f"{'max_len':>7} {'batch':>5} {'embed/s':>9} {'raw/s':>9} {'ratio':>6}")
    for max_length in (128, 256):
        embedder = load_embedder(max_length=max_length, threads=args.threads)
        assert isinstance(embedder, OnnxEmbedder)
        for batch_size in (8, 32, 128):
            full = median_seconds(embed_fn(embedder, texts, batch_size), args.repeats)
            raw = median_seconds(raw_session_fn(embedder, texts, batch_size), args.repeats)
            rates = f"{len(texts) / full:>9.1f} {len(texts) / raw:>9.1f}"
            print(f"{max_length:>7} {batch_size:>5} {rates} {raw / full:>6.1%}")


if __name__ == "__main__":
    main()
