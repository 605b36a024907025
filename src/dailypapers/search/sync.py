"""Keep search in step with the store: embed new and edited papers, drop deleted ones.

Keyword search needs nothing from here (the database maintains it). Vectors are stale when a
paper has none of the embedder's model, or its content hash moved on; a content change
that leaves title and abstract alone (say, new upvotes) only updates the recorded hash, so
nothing is embedded twice for the same text. Vectors are committed per batch, so an
interrupted reindex resumes where it stopped.

A changed model is filled in beside the old one, whose vectors keep answering searches;
when the new model covers every paper, it takes over in one transaction and the old
model's vectors are dropped (``switch_when_complete``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from dailypapers.periodic import PeriodicThread
from dailypapers.search.dense import DenseIndex, ServingIndex
from dailypapers.search.embed_cache import cache_key
from dailypapers.search.embedder import Embedder, spec_of
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
    with transaction(engine) as conn:
        store.register_model(conn, embedder.model_id)
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
        store.mark_current(
            conn, embedder.model_id, [(batch[i].id, batch[i].content_hash) for i in same]
        )
    report.embedded += len(todo)
    report.kept += len(same)


def sync(
    engine: sa.Engine,
    embedder: Embedder,
    dense: DenseIndex,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> SyncReport:
    """Embed what is stale, hand searches to the embedder's model once it covers every
    paper, then bring the vector index in step (deletions included)."""
    report = embed_stale(engine, embedder, batch_size=batch_size, on_batch=on_batch)
    if isinstance(dense, ServingIndex):
        switch_when_complete(engine, embedder.model_id, dense)
    dense.refresh()
    return report


def switch_when_complete(engine: sa.Engine, model_id: str, dense: ServingIndex) -> bool:
    """Make ``model_id`` the serving model if every paper has a current vector of it and
    another model serves now, or at once if the serving model cannot embed queries here
    (its vectors are then of no use). Its index is built first, so the first searches after
    the switch find it ready; True if it switched."""
    with engine.connect() as conn:
        serving = store.serving_model(conn)
        if serving in (None, model_id):
            return False
        if spec_of(serving) is not None and store.count_stale(conn, model_id):
            return False
    dense.prepare(model_id)
    with transaction(engine) as conn:
        dropped = store.switch_serving(conn, model_id)
    dense.forget(dropped)
    log.info("search now uses %s (was %s); its vectors cover every paper", model_id, serving)
    return True


@dataclass(frozen=True, slots=True)
class ModelProgress:
    """Which model serves searches, which one is configured, and how far it is filled."""

    serving: str | None
    configured: str
    embedded: int
    papers: int

    @property
    def switching(self) -> bool:
        """Whether a new model is being filled in while the old one serves."""
        return self.serving is not None and self.serving != self.configured


def progress(engine: sa.Engine, configured: str) -> ModelProgress:
    """For `reindex --status`: papers with a current vector of the configured model."""
    with engine.connect() as conn:
        papers = store.paper_count(conn)
        return ModelProgress(
            serving=store.serving_model(conn),
            configured=configured,
            embedded=papers - store.count_stale(conn, configured),
            papers=papers,
        )


def seed(engine: sa.Engine, dense: DenseIndex, vectors: Path) -> bool:
    """Sync from precomputed vectors (the bundled sample's) without loading the model.

    Papers whose text has a vector in the file get it; any other paper stays stale for the
    next sync. Returns False, doing nothing, when the file was made by another model than
    ``dense``'s: its vectors would not be comparable, and embedding is `reindex`'s job.
    Never loading the model here is what keeps `serve`'s parent process small.
    """
    with np.load(vectors) as data:
        if str(data["model_id"]) != dense.model_id:
            return False
        known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    with transaction(engine) as conn:
        store.register_model(conn, dense.model_id)
    after = 0
    while True:
        with engine.connect() as conn:
            batch = store.stale_papers(conn, dense.model_id, after_id=after, limit=DEFAULT_BATCH)
        if not batch:
            break
        after = batch[-1].id
        _save_known(engine, dense.model_id, batch, known)
    dense.refresh()
    return True


def _save_known(
    engine: sa.Engine,
    model_id: str,
    batch: Sequence[store.StalePaper],
    known: dict[str, np.ndarray],
) -> None:
    rows: list[dict[str, Any]] = []
    for paper in batch:
        text = paper_text(paper.title, paper.abstract)
        vector = known.get(cache_key(model_id, text))
        if vector is not None:
            rows.append(
                {
                    "paper_id": paper.id,
                    "model_id": model_id,
                    "content_hash": paper.content_hash,
                    "text_hash": text_hash(text),
                    "vector": vector,
                }
            )
    with transaction(engine) as conn:
        store.save_embeddings(conn, rows)


class BackgroundSync(PeriodicThread):
    """A daemon thread that embeds new and edited papers every `interval` seconds.

    `serve` runs one, so papers imported by the CLI or submitted on the site become
    findable by meaning without a manual `reindex`; it does nothing until semantic search
    is enabled (vectors exist), so a large store is never embedded by surprise.
    """

    def __init__(
        self, rt: Runtime, *, interval: float = 60.0, gate: Callable[[], bool] = lambda: True
    ) -> None:
        super().__init__("vector-sync", interval)
        self._rt = rt
        self._gate = gate  # in `serve`: whether this node holds the `embedding` lease

    def run_once(self) -> None:
        """The thread's pass."""
        self.tick()

    def tick(self) -> SyncReport | None:
        """One pass: embed what is stale if semantic search is on; errors are logged.

        The model is loaded only when something is stale, and dropped after the pass: `serve`
        runs this in its parent process, which would otherwise hold a copy of the model that
        it needs for a few seconds a day.
        """
        rt = self._rt
        if not self._gate() or not semantic_search_enabled(rt.engine):
            return None
        try:
            report = rt.sync_vectors(on_batch=_progress_log(rt.embedding_model_id))
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("vector sync failed, will retry: %s", exc)
            return None
        finally:
            rt.release_embedder()
        if report.embedded:
            log.info("vector sync: embedded %d papers", report.embedded)
        return report


def _progress_log(model_id: str, every: int = 10_000) -> Callable[[int], None]:
    """A batch callback that logs every ``every`` papers embedded in one pass: a model
    change re-embeds the whole store in one pass, which can take hours."""
    done = 0

    def on_batch(n: int) -> None:
        nonlocal done
        if (done + n) // every > done // every:
            log.info("vector sync: %d papers embedded with %s so far", done + n, model_id)
        done += n

    return on_batch
