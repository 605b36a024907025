"""Fill the evaluation embedding cache for BEIR collections, e.g. on a machine with more cores.

Embeds exactly what `dailypapers eval` embeds (each document's "title. text" and each query's
free text) with the same embedder code, into the .npz cache that `dailypapers eval --cache`
reads, so the later eval run on a small machine only does the searching.

    python benchmarks/fill_eval_cache.py OUT_DIR COLLECTION_DIR...
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.embedder import load_embedder
from dailypapers.search.query import parse_query
from dailypapers.search.texts import paper_text


def texts_of(folder: Path) -> list[str]:
    """The documents' and queries' texts in the form the eval store embeds them."""
    docs = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").open(encoding="utf-8")]
    return [paper_text(d.get("title") or "", d.get("text") or "") for d in docs] + [
        parse_query(q["text"]).free_text for q in queries
    ]


def main(out: Path, folders: list[Path]) -> None:
    """One cache file per collection, named after its folder."""
    embedder = load_embedder()
    for folder in folders:
        started = time.perf_counter()
        cached = CachedEmbedder(embedder, out / f"{folder.name}.npz")
        texts = texts_of(folder)
        cached.embed(texts, batch_size=64)
        cached.save()
        print(f"{folder.name}: {len(texts)} texts in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
