"""An embedder that remembers: vectors keyed by (model id, text) in one .npz file.

Evaluation embeds the same test collections again and again while fusion settings change;
with the cache only the first run pays (minutes on two cores), and a cache filled on a
bigger machine by the same code gives the same vectors.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dailypapers.search.embedder import Embedder


class CachedEmbedder(Embedder):
    """Wraps an embedder; ``save`` writes what was learned (atomically)."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner = inner
        self.path = Path(path)
        self._cache: dict[str, np.ndarray] = _read(self.path)

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dim(self) -> int:
        return self._inner.dim

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            vectors = self._inner.embed([by_key[k] for k in missing], batch_size=batch_size)
            self._cache.update(zip(missing, vectors, strict=True))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = self._cache[key]
        return out

    def save(self) -> None:
        """Write the cache next to its final name, then move it into place."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        keys = np.array(list(self._cache), dtype="U64")
        vectors = np.vstack(list(self._cache.values())) if self._cache else np.empty((0, 0))
        np.savez(tmp, keys=keys, vectors=vectors.astype(np.float32))
        os.replace(tmp, self.path)

    def key(self, text: str) -> str:
        """The cache key of a text under this embedder's model."""
        return cache_key(self.model_id, text)


def cache_key(model_id: str, text: str) -> str:
    """The cache key of a text: its model id and content, hashed."""
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path) as data:
        return dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
