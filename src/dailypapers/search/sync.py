"""Keep search in step with the store: embed new and edited papers, drop deleted ones.

Keyword search needs nothing from here (the database maintains it). Vectors are stale when a
paper has none, has one from another model, or its content hash moved on; a content change
that leaves title and abstract alone (say, new upvotes) only updates the recorded hash, so
nothing is embedded twice for the same text. Vectors are committed per batch, so an
interrupted reindex resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dailypapers.search.dense import DenseIndex
from dailypapers.search.embedder import Embedder
from dailypapers.search.texts import paper_text
from dailypapers.store import search as store
from dailypapers.store.database import transaction

DEFAULT_BATCH = 64


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
