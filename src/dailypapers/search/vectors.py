"""Nearest-neighbour search over paper embeddings: HNSW (usearch) and an exact numpy oracle.

Vectors are expected L2-normalised (the embedder's output); similarity is cosine, higher is
better. ``UsearchIndex`` stores vectors as f16 by default: half the memory of f32 with no
measurable recall loss, whereas i8 lost ~12 points of recall@10 on random 384-d vectors
(docs/embedding-model.md). ``ExactIndex`` is brute force: it is as fast as HNSW below a few tens
of thousands of papers (0.14 ms per query for 5,000 on 2 cores), and the tests' ground truth.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

# onnxruntime must be loaded before usearch: the other way round, onnxruntime's init
# segfaults in libstdc++'s codecvt (onnxruntime 1.32, usearch 2.26), e.g. when the searcher
# module is imported before the embedder.
import onnxruntime  # noqa: F401
from usearch.index import Index

from dailypapers.errors import ConfigError

Storage = Literal["f32", "f16", "i8"]
_FORMAT = 1
# Chosen on 5,000 random unit 384-d vectors: recall@10 0.98 at ~0.3 ms/query (defaults: 0.57).
_CONNECTIVITY = 32
_EXPANSION_ADD = 200
_EXPANSION_SEARCH = 200


class ExactIndex:
    """Brute-force cosine search in numpy; exact, so no tuning and no recall loss."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.empty(0, dtype=np.int64)
        self._vectors = np.empty((0, dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Adds or replaces the vectors of ``ids``."""
        ids, vectors = _check(ids, vectors, self.dim)
        self.remove(ids)
        self._ids = np.concatenate([self._ids, ids])
        self._vectors = np.vstack([self._vectors, vectors])

    def remove(self, ids: np.ndarray) -> None:
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` most similar ids, best first; ties break on the smaller id."""
        if k <= 0 or not len(self._ids):
            return []
        scores = self._vectors @ np.asarray(vector, dtype=np.float32).reshape(self.dim)
        top = np.lexsort((self._ids, -scores))[:k]
        return [(int(self._ids[i]), float(scores[i])) for i in top]


class UsearchIndex:
    """Approximate (HNSW) cosine search that can be saved, and memory-mapped when loaded.

    ``model_id`` records which embedder made the vectors; callers compare it with their
    embedder's and rebuild on mismatch, since vectors of different models are not comparable.
    """

    def __init__(self, dim: int, *, model_id: str, storage: Storage = "f16") -> None:
        self.dim = dim
        self.model_id = model_id
        self.storage = storage
        self._index = _new_index(dim, storage)

    def __len__(self) -> int:
        return len(self._index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Adds or replaces the vectors of ``ids`` (usearch rejects duplicate keys itself)."""
        ids, vectors = _check(ids, vectors, self.dim)
        self.remove(ids)
        if len(ids):
            self._index.add(ids.astype(np.uint64), vectors)

    def remove(self, ids: np.ndarray) -> None:
        keys = np.asarray(ids, dtype=np.int64)
        present = keys[np.asarray(self._index.contains(keys.astype(np.uint64)), dtype=bool)]
        if len(present):
            self._index.remove(present.astype(np.uint64))

    def ids(self) -> np.ndarray:
        """Every id in the index (int64), so a caller can find the ones its source dropped."""
        return np.asarray(self._index.keys, dtype=np.int64)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (id, cosine similarity) pairs, best first."""
        if k <= 0 or not len(self._index):
            return []
        matches = self._index.search(np.asarray(vector, dtype=np.float32).reshape(self.dim), k)
        return [
            (int(key), 1.0 - float(distance))
            for key, distance in zip(matches.keys, matches.distances, strict=True)
        ]

    def save(self, path: Path) -> None:
        """Writes the index and its JSON sidecar, each atomically (temp file + os.replace)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        self._index.save(str(tmp))
        os.replace(tmp, path)
        _write_json_atomic(sidecar_path(path), self._metadata())

    @classmethod
    def load(cls, path: Path, *, mmap: bool = True) -> UsearchIndex:
        """Opens a saved index; with ``mmap`` the vectors stay on disk and the index is
        read-only (adding or removing raises), which suits a server that only queries."""
        path = Path(path)
        meta = _read_sidecar(path)
        loaded = Index.restore(str(path), view=mmap)
        if loaded is None or len(loaded) != meta["count"] or loaded.ndim != meta["dim"]:
            raise ConfigError(f"{path}: index does not match {sidecar_path(path).name}; rebuild it")
        # A search-time setting, not saved. (mypy misreads usearch's property setter.)
        loaded.expansion_search = _EXPANSION_SEARCH  # type: ignore[misc]
        index = cls.__new__(cls)
        index.dim, index.model_id, index.storage = meta["dim"], meta["model_id"], meta["storage"]
        index._index = loaded
        return index

    def _metadata(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "model_id": self.model_id,
            "dim": self.dim,
            "count": len(self),
            "storage": self.storage,
            "metric": "cos",
        }


def sidecar_path(path: Path) -> Path:
    """The JSON metadata file saved next to an index."""
    return path.with_name(path.name + ".json")


def _new_index(dim: int, storage: Storage) -> Index:
    return Index(
        ndim=dim,
        metric="cos",
        dtype=storage,
        connectivity=_CONNECTIVITY,
        expansion_add=_EXPANSION_ADD,
        expansion_search=_EXPANSION_SEARCH,
    )


def _check(ids: np.ndarray, vectors: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Validated copies: int64 ids (unique, >= 0) and a float32 (n, dim) matrix."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), dim)
    if len(np.unique(ids)) != len(ids):
        raise ValueError("duplicate ids in one add")
    if len(ids) and ids.min() < 0:
        raise ValueError("ids must be >= 0")
    return ids, vectors


def _read_sidecar(path: Path) -> dict[str, Any]:
    meta_path = sidecar_path(path)
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{meta_path}: cannot read index metadata ({exc}); rebuild it") from exc
    if meta.get("format") != _FORMAT:
        raise ConfigError(f"{meta_path}: unknown index format {meta.get('format')!r}; rebuild it")
    return meta


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
