"""Precompute the bundled sample's vectors, so search by meaning works from the first run.

Usage: python scripts/embed_sample.py [--cache build/eval-cache/sample.npz]
Loads the bundled sample into a temporary store, embeds every paper's text with the
product's default embedder (reusing an embedding cache when given) and writes
src/dailypapers/ingest/sample/vectors.npz: float16 vectors keyed like CachedEmbedder
(sha256 of model id and text) plus the model id. Rerun whenever the sample or model changes.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from dailypapers.config import Settings
from dailypapers.ingest.bundled import SAMPLE_VECTORS, sample_files
from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime
from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.texts import paper_text
from dailypapers.store.schema import papers


def main() -> None:
    """Write the vectors file into the package."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=Path("build/eval-cache/sample.npz"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(Settings(data_dir=Path(tmp)))
        rt.ensure_schema()
        for path in sample_files():
            import_file(rt.engine, path)
        with rt.engine.connect() as conn:
            texts = [
                paper_text(t, a)
                for t, a in conn.execute(sa.select(papers.c.title, papers.c.abstract))
            ]
        cached = CachedEmbedder(rt.embedder, args.cache)
        vectors = cached.embed(texts)
        keys = [cached.key(t) for t in texts]
        np.savez_compressed(
            SAMPLE_VECTORS,
            keys=np.array(keys, dtype="U64"),
            vectors=vectors.astype(np.float16),
            model_id=np.array(rt.embedder.model_id),
        )
        rt.close()
    print(f"{len(texts)} vectors for {rt.embedder.model_id} → {SAMPLE_VECTORS}")


if __name__ == "__main__":
    main()
