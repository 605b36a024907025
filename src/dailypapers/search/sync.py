"""Keep search in step with the store: embed new and edited papers, drop deleted ones.

Keyword search needs nothing from here (the database maintains it). Vectors are stale when a
paper has none, has one from another model, or its content hash moved on; a content change
that leaves title and abstract alone (say, new upvotes) only updates the recorded hash, so
nothing is embedded twice for the same text. Vectors are committed per batch, so an
interrupted reindex resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from dailypapers.search.dense import DenseIndex
from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.embedder import Embedder
from dailypapers.search.texts import paper_text
from dailypapers.store import search as store
from dailypapers.store.database import transaction

if TYPE_CHECKING:
    from dailypapers.runtime import Runtime

DEFAULT_BATCH = 64
log = logging.getLogger(__name__)


@dataclass(slots=True)
class SyncReport:
    """What a sync did: papers embedded, and vectors kept because their text was unchanged."""

    embedded: int = 0
    kept: int = 0


def text_hash(text: str) -> str:
    """Identifies the embedded text, so an unchanged text is never embedded again."""
    return hashlib.sha256(text.encode()).hexdigest()


def pending(engine: sa.Engine, model_id: str) -> int:
    """How many papers a sync would look at (for a progress bar's total)."""
    with engine.connect() as conn:
        return store.count_stale(conn, model_id)


def semantic_search_enabled(engine: sa.Engine) -> bool:
    """Whether vectors were ever computed here; imports only embed once someone opted in with
    `dailypapers reindex`, since a first embedding of a large store takes a long while."""
    with engine.connect() as conn:
        return store.has_embeddings(conn, None)


def embed_stale(
    engine: sa.Engine,
    embedder: Embedder,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> SyncReport:
    """Embed every stale paper, one committed batch at a time, in id order."""
    report, after = SyncReport(), 0
    while True:
        with engine.connect() as conn:
            batch = store.stale_papers(conn, embedder.model_id, after_id=after, limit=batch_size)
        if not batch:
            return report
        after = batch[-1].id
        _embed_batch(engine, embedder, batch, report)
        if on_batch is not None:
            on_batch(len(batch))


def _embed_batch(
    engine: sa.Engine, embedder: Embedder, batch: Sequence[store.StalePaper], report: SyncReport
) -> None:
    texts = [paper_text(p.title, p.abstract) for p in batch]
    hashes = [text_hash(t) for t in texts]
    same = [
        i
        for i, (p, h) in enumerate(zip(batch, hashes, strict=True))
        if p.text_hash == h and p.model_id == embedder.model_id
    ]
    todo = [i for i in range(len(batch)) if i not in set(same)]
    vectors = embedder.embed([texts[i] for i in todo])
    rows: list[dict[str, Any]] = [
        {
            "paper_id": batch[i].id,
            "model_id": embedder.model_id,
            "content_hash": batch[i].content_hash,
            "text_hash": hashes[i],
            "vector": vector,
        }
        for i, vector in zip(todo, vectors, strict=True)
    ]
    with transaction(engine) as conn:
        store.save_embeddings(conn, rows)
        store.mark_current(conn, [(batch[i].id, batch[i].content_hash) for i in same])
    report.embedded += len(todo)
    report.kept += len(same)


def sync(
    engine: sa.Engine,
    embedder: Embedder,
    dense: DenseIndex,
    *,
    on_batch: Callable[[int], None] | None = None,
) -> SyncReport:
    """Embed what is stale, then bring the vector index in step (deletions included)."""
    report = embed_stale(engine, embedder, on_batch=on_batch)
    dense.refresh()
    return report


def seed(engine: sa.Engine, embedder: Embedder, dense: DenseIndex, vectors: Path) -> bool:
    """Sync from precomputed vectors (the bundled sample's) instead of running the model.

    Returns False, doing nothing, when the file was made by another model: its vectors
    would not be comparable, and embedding everything here is `reindex`'s job.
    """
    with np.load(vectors) as data:
        if str(data["model_id"]) != embedder.model_id:
            return False
    sync(engine, CachedEmbedder(embedder, vectors), dense)
    return True


class BackgroundSync:
    """A daemon thread that embeds new and edited papers every `interval` seconds.

    `serve` runs one, so papers imported by the CLI or submitted on the site become
    findable by meaning without a manual `reindex`; it does nothing until semantic search
    is enabled (vectors exist), so a large store is never embedded by surprise.
    """

    def __init__(
        self, rt: Runtime, *, interval: float = 60.0, gate: Callable[[], bool] = lambda: True
    ) -> None:
        self._rt = rt
        self._interval = interval
        self._gate = gate  # in `serve`: whether this node holds the `embedding` lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vector-sync", daemon=True)

    def start(self) -> None:
        """Begin syncing in the background."""
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to finish after its current batch and wait for it."""
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.tick()

    def tick(self) -> SyncReport | None:
        """One pass: embed what is stale if semantic search is on; errors are logged."""
        rt = self._rt
        if not self._gate() or not semantic_search_enabled(rt.engine):
            return None
        try:
            report = rt.sync_vectors()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("vector sync failed, will retry: %s", exc)
            return None
        if report.embedded:
            log.info("vector sync: embedded %d papers", report.embedded)
        return report
