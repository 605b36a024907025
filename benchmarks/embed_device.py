"""Bulk embedding speed on this machine's CPU and, when there is one, its GPU: the figures
behind docs/embedding-model.md's estimate for embedding the whole arXiv snapshot.

    python benchmarks/embed_device.py [--n 512] [--threads N] [--queries 200]

CPU: the product embedder (onnxruntime, bundled int8 MiniLM, optimised copy) on ``--n`` texts
of 256 tokens (truncated), abstracts/s; and single-query latency (p50/p99 ms) for short
queries. GPU: onnxruntime's CUDA provider when `onnxruntime-gpu` is installed; otherwise, when
PyTorch sees a GPU, the same architecture (BERT, 6 layers, 384 wide, 12 heads, 1,536 inner)
with random weights in fp32 and fp16, which costs the same arithmetic as the real model
(speed does not depend on the weights' values). Prints one line per figure and the hours for
2.9 million abstracts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from dailypapers.search.embedder import OnnxEmbedder, load_embedder

ARXIV = 2_900_000
_PROSE = (
    "we propose a novel transformer architecture for efficient retrieval of scientific "
    "documents and evaluate it on several benchmarks showing consistent gains over strong "
    "baselines while reducing memory and latency in large scale settings"
)
WORDS = tuple(_PROSE.split())


def long_texts(n: int) -> list[str]:
    """Texts of well over 256 tokens, so every one is truncated to exactly 256."""
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(WORDS, size=300)) for _ in range(n)]


def report(label: str, per_second: float) -> None:
    minutes = ARXIV / per_second / 60
    print(f"{label}: {per_second:,.1f} abstracts/s at 256 tokens -> {minutes:,.0f} min for 2.9M")


def cpu_figures(n: int, threads: int | None, queries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        embedder = load_embedder(threads=threads, cache_dir=Path(tmp))
        texts = long_texts(n)
        embedder.embed(texts[:32], batch_size=32)
        start = time.perf_counter()
        embedder.embed(texts, batch_size=32)
        report(f"cpu onnxruntime threads={threads or 'all'}", n / (time.perf_counter() - start))
        times = []
        for i in range(queries):
            t = time.perf_counter()
            embedder.embed([f"graph neural networks for molecule {i}"])
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50, p99 = statistics.median(times), times[int(0.99 * (len(times) - 1))]
        print(f"cpu query embedding: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({queries} queries)")


def gpu_onnxruntime(n: int) -> bool:
    try:
        embedder = load_embedder(device="cuda")
    except Exception as exc:
        print(f"gpu onnxruntime: not available ({str(exc).splitlines()[0][:120]})")
        return False
    assert isinstance(embedder, OnnxEmbedder)
    texts = long_texts(n)
    for batch in (64, 256):
        embedder.embed(texts[:batch], batch_size=batch)
        start = time.perf_counter()
        embedder.embed(texts, batch_size=batch)
        report(f"gpu onnxruntime CUDA batch={batch}", n / (time.perf_counter() - start))
    return True


def gpu_torch(n: int) -> None:
    try:
        import torch
        from transformers import BertConfig, BertModel
    except ImportError:
        print("gpu torch: PyTorch/transformers not installed")
        return
    if not torch.cuda.is_available():
        print("gpu torch: no GPU")
        return
    config = BertConfig(
        vocab_size=30522,
        hidden_size=384,
        num_hidden_layers=6,
        num_attention_heads=12,
        intermediate_size=1536,
        max_position_embeddings=512,
    )
    ids = torch.randint(1000, 30000, (n, 256), device="cuda")
    mask = torch.ones_like(ids)
    for dtype in (torch.float32, torch.float16):
        model = BertModel(config).to("cuda", dtype=dtype).eval()
        for batch in (64, 256):
            with torch.inference_mode():
                model(input_ids=ids[:batch], attention_mask=mask[:batch])
                torch.cuda.synchronize()
                start = time.perf_counter()
                for i in range(0, n, batch):
                    out = model(input_ids=ids[i : i + batch], attention_mask=mask[i : i + batch])
                    out.last_hidden_state.mean(dim=1).cpu()
                torch.cuda.synchronize()
            label = f"gpu torch same architecture {str(dtype)[6:]} batch={batch}"
            report(label, n / (time.perf_counter() - start))


def main() -> None:
    """CPU figures, then GPU (onnxruntime CUDA if installed, else PyTorch)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--gpu-n", type=int, default=8192)
    parser.add_argument("--no-cpu", action="store_true")
    args = parser.parse_args()
    if not args.no_cpu:
        cpu_figures(args.n, args.threads, args.queries)
    if args.gpu_n and not gpu_onnxruntime(args.gpu_n):
        gpu_torch(args.gpu_n)


if __name__ == "__main__":
    main()
