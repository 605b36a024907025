"""The vector leg of search, backed by the paper_embeddings table on either backend.

On PostgreSQL the table *is* the index (pgvector HNSW), shared by every web server. On SQLite
the table is the durable source and a usearch HNSW file in the data directory is derived from
it: ``refresh`` folds in what was embedded since the last refresh and drops deleted papers,
and readers notice a replaced file (by its stat) and re-open it memory-mapped.

``ServingIndex`` is what the product searches: the index of whichever model the
``vector_models`` table marks as serving, so a model change re-embeds in the background
while searches keep using the old model's vectors, and every process follows the switch.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import sqlalchemy as sa

from dailypapers.search.vectors import UsearchIndex
from dailypapers.store import search as store

_FileStamp = tuple[int, int, int]


class DenseIndex(Protocol):
    """Nearest-neighbour search over stored paper vectors of one model."""

    @property
    def model_id(self) -> str:
        """The model whose vectors are searched."""
        ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (paper id, cosine similarity) pairs, best first."""
        ...

    def refresh(self) -> None:
        """Bring the index in step with the paper_embeddings table."""
        ...

    def available(self) -> bool:
        """Whether there is anything to search (else the query need not be embedded)."""
        ...

    def pinned(self) -> DenseIndex:
        """The index of one model, to use for the whole of one query: its ``model_id`` tells
        which embedder the query vector must come from."""
        ...


class PgVectorIndex:
    """pgvector's HNSW index inside PostgreSQL; always current, so refresh does nothing."""

    def __init__(self, engine: sa.Engine, *, model_id: str) -> None:
        self._engine = engine
        self.model_id = model_id

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        with self._engine.begin() as conn:
            return store.nearest_pgvector(conn, vector, model_id=self.model_id, k=k)

    def refresh(self) -> None:
        """Nothing to do: inserts and deletes update the HNSW index in the same transaction."""

    def available(self) -> bool:
        with self._engine.connect() as conn:
            return store.has_embeddings(conn, self.model_id)

    def pinned(self) -> DenseIndex:
        return self

    def remove_files(self) -> None:
        """Nothing to remove: the vectors live in the table."""


class UsearchFileIndex:
    """A usearch HNSW file derived from paper_embeddings, safe to share between processes."""

    def __init__(self, engine: sa.Engine, folder: Path, *, model_id: str) -> None:
        self._engine = engine
        self.model_id = model_id
        slug = hashlib.sha256(model_id.encode()).hexdigest()[:12]
        self.path = Path(folder) / f"vectors-{slug}.usearch"
        self._state = self.path.with_name(self.path.name + ".sync.json")
        self._loaded: UsearchIndex | None = None
        self._stamp: _FileStamp | None = None

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        index = self._current()
        return index.search(vector, k) if index is not None else []

    def available(self) -> bool:
        index = self._current()
        return index is not None and len(index) > 0

    def pinned(self) -> DenseIndex:
        return self

    def remove_files(self) -> None:
        """Delete the saved index and its sidecars (its model no longer has vectors); a
        process that has it memory-mapped keeps reading its copy until it notices."""
        for path in (self.path, self._state, *self.path.parent.glob(self.path.name + ".*")):
            path.unlink(missing_ok=True)

    def _current(self) -> UsearchIndex | None:
        """The saved index, re-opened when another process replaced the file; built on first
        use when vectors exist but no file does (a fresh data directory)."""
        stamp = _stat(self.path)
        if stamp is None:
            self.refresh()
            stamp = _stat(self.path)
        if stamp is not None and stamp != self._stamp:
            self._loaded, self._stamp = UsearchIndex.load(self.path, mmap=True), stamp
        return self._loaded if stamp is not None else None

    def refresh(self) -> None:
        """Adds vectors embedded since the last refresh and removes those whose rows are gone;
        one writer at a time (file lock), saved atomically so readers never see half a file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path.with_name(self.path.name + ".lock")):
            watermark = self._watermark()
            index = self._open_for_update(watermark)
            with self._engine.connect() as conn:
                ids, vectors, newest = store.embeddings_since(conn, self.model_id, watermark)
                if index is None and len(ids):
                    index = UsearchIndex(vectors.shape[1], model_id=self.model_id)
                if index is None:
                    return
                index.add(ids, vectors)
                gone = np.setdiff1d(index.ids(), store.embedding_ids(conn, self.model_id))
            index.remove(gone)
            if len(ids) or len(gone) or not self.path.exists():
                index.save(self.path)
                self._write_watermark(newest)

    def _open_for_update(self, watermark: datetime | None) -> UsearchIndex | None:
        if watermark is None or not self.path.exists():
            return None
        index = UsearchIndex.load(self.path, mmap=False)
        return index if index.model_id == self.model_id else None

    def _watermark(self) -> datetime | None:
        """When the newest vector in the saved file was embedded (None: rebuild from scratch)."""
        try:
            state = json.loads(self._state.read_text(encoding="utf-8"))
            return datetime.fromisoformat(state["watermark"]) if state["watermark"] else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_watermark(self, newest: datetime | None) -> None:
        tmp = self._state.with_name(self._state.name + ".tmp")
        value = newest.isoformat() if newest else None
        tmp.write_text(json.dumps({"watermark": value}), encoding="utf-8")
        os.replace(tmp, self._state)


def _stat(path: Path) -> _FileStamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class _locked:
    """An exclusive advisory lock on a file for the duration of a ``with`` block."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def dense_index_for(
    engine: sa.Engine, folder: Path, *, model_id: str
) -> PgVectorIndex | UsearchFileIndex:
    """pgvector on PostgreSQL, a usearch file under ``folder`` on SQLite."""
    if engine.dialect.name == "postgresql":
        return PgVectorIndex(engine, model_id=model_id)
    return UsearchFileIndex(engine, folder, model_id=model_id)


class ServingIndex:
    """The index of the model that serves searches now (``vector_models``), re-read at most
    every ``ttl`` seconds so a switch made by the background embedder (in another process,
    or on another node) reaches every reader within that time; ``configured`` serves while no
    model has vectors yet."""

    def __init__(
        self, engine: sa.Engine, folder: Path, *, configured: str, ttl: float = 5.0
    ) -> None:
        self._engine = engine
        self._folder = Path(folder)
        self.configured = configured
        self._ttl = ttl
        self._lock = threading.Lock()
        self._serving: tuple[float, str] | None = None
        self._indexes: dict[str, PgVectorIndex | UsearchFileIndex] = {}

    @property
    def model_id(self) -> str:
        """The serving model's id."""
        return self.pinned().model_id

    def pinned(self) -> PgVectorIndex | UsearchFileIndex:
        return self.index_for(self._serving_model())

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        return self.pinned().search(vector, k)

    def available(self) -> bool:
        return self.pinned().available()

    def refresh(self) -> None:
        """Re-read which model serves (now, not after the ttl) and bring its index in step."""
        with self._lock:
            self._serving = None
        self.pinned().refresh()

    def prepare(self, model_id: str) -> None:
        """Build ``model_id``'s index before it starts serving."""
        self.index_for(model_id).refresh()

    def forget(self, model_ids: Iterable[str]) -> None:
        """Remove what is kept for models whose vectors were dropped."""
        for model_id in model_ids:
            self.index_for(model_id).remove_files()
            with self._lock:
                self._indexes.pop(model_id, None)

    def index_for(self, model_id: str) -> PgVectorIndex | UsearchFileIndex:
        """The (cached) index of one model's vectors."""
        with self._lock:
            index = self._indexes.get(model_id)
            if index is None:
                index = dense_index_for(self._engine, self._folder, model_id=model_id)
                self._indexes[model_id] = index
            return index

    def _serving_model(self) -> str:
        now = time.monotonic()
        with self._lock:
            if self._serving is not None and now - self._serving[0] < self._ttl:
                return self._serving[1]
        with self._engine.connect() as conn:
            model_id = store.serving_model(conn) or self.configured
        with self._lock:
            self._serving = (now, model_id)
            for stale in [m for m in self._indexes if m != model_id]:
                del self._indexes[stale]  # let the old model's mapped file go
        return model_id
