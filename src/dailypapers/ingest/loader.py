"""Drive any source into the store in batches: idempotent, resumable, reported.

Each batch is one transaction, so a crash loses at most the batch in flight; since
every write is an upsert keyed on the paper's identity, running the same import again
converges on the same final state without duplicates.

Large files take the bulk path (`import_file(bulk=True)`): a child process reads and checks
the records (ingest.read_ahead) while this one writes them with store.bulk, in larger
batches; the plan, the outcomes and the rows stored are the same as on the row path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from contextlib import closing
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.ingest.detect import READERS, detect_format
from dailypapers.ingest.normalize import prepare
from dailypapers.ingest.read_ahead import read_in_child
from dailypapers.ingest.source import open_text
from dailypapers.models import ImportReport, PaperRecord, Parsed, Rejection, SourceItem
from dailypapers.store import generations
from dailypapers.store.bulk import TextVectors, Vectors, bulk_upsert_papers, finish_bulk
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.papers import Hashes, UpsertResult, upsert_papers
from dailypapers.store.users import ensure_submitters

ProgressCallback = Callable[[int], None]
Writer = Callable[[sa.Connection, list[PaperRecord], Hashes], UpsertResult]


def load(
    engine: sa.Engine,
    items: Iterable[SourceItem],
    *,
    batch_size: int = 500,
    strict: bool = False,
    on_record: ProgressCallback | None = None,
    bulk: bool = False,
) -> ImportReport:
    """Import every item; rejections are reported (or, with `strict`, stop the import)."""
    today = datetime.now(UTC).date()
    prepared = (prepare(i, today) if isinstance(i, Parsed) else i for i in items)
    return _load(
        engine, prepared, batch_size=batch_size, strict=strict, on_record=on_record, bulk=bulk
    )


def _load(
    engine: sa.Engine,
    items: Iterable[SourceItem],
    *,
    batch_size: int,
    strict: bool,
    on_record: ProgressCallback | None,
    bulk: bool,
) -> ImportReport:
    """Write prepared items in batches of `batch_size`, one transaction each."""
    report = ImportReport()
    batch: list[Parsed] = []
    with closing(_Batches(engine, report, bulk=bulk)) as batches:
        for item in items:
            if isinstance(item, Rejection):
                if strict:
                    batches.write(batch)
                    batches.flush()
                    raise InputError(f"{item.location}: {item.reason}")
                report.rejected.append(item)
            else:
                batch.append(item)
            if len(batch) >= batch_size:
                batches.write(batch)
                batch = []
            if on_record:
                on_record(1)
        batches.write(batch)
        batches.flush()
    return report


class _Batches:
    """Writes batches in order into `report`. On the bulk path on PostgreSQL it keeps one
    back: its tsvectors are computed on a second connection (store.bulk.TextVectors) while
    the batch before it is written, so a second server process shares the work.

    Keeping a batch back changes nothing a crash can leave: each batch is still one
    transaction, written after the ones before it; a killed import leaves at most two
    batches read and unwritten, which the next run writes like any other."""

    def __init__(self, engine: sa.Engine, report: ImportReport, *, bulk: bool) -> None:
        self._engine, self._report, self._bulk = engine, report, bulk
        pipelined = bulk and engine.dialect.name == "postgresql"
        self._vectors = TextVectors(engine) if pipelined else None
        self._held: tuple[list[Parsed], Future[Vectors]] | None = None

    def write(self, batch: list[Parsed]) -> None:
        """Write `batch`, or, when pipelined, start its tsvectors and write the one held."""
        if not batch:
            return
        if self._vectors is None:
            self._report.merge(_write(self._engine, batch, bulk=self._bulk))
            return
        ahead = (batch, self._vectors.compute([p.record for p in batch]))
        self.flush()
        self._held = ahead

    def flush(self) -> None:
        """Write the batch held back, if any."""
        if self._held is not None:
            batch, vectors = self._held
            self._held = None
            self._report.merge(_write(self._engine, batch, bulk=True, vectors=vectors))

    def close(self) -> None:
        if self._vectors is not None:
            self._vectors.close()


def _write(
    engine: sa.Engine,
    batch: list[Parsed],
    *,
    bulk: bool = False,
    vectors: Future[Vectors] | None = None,
) -> ImportReport:
    """Write one batch in one transaction; if the database refuses it, write its records one
    by one (on the row path), so that only the record it refuses is rejected (with the
    database's one-line reason, never the batch's parameters). `vectors`: the batch's
    tsvectors, being computed (`_Batches`)."""
    write: Writer = upsert_papers
    if bulk:
        write = partial(bulk_upsert_papers, vectors=vectors)
    try:
        return _write_batch(engine, batch, write)
    except (sa.exc.StatementError, OverflowError) as exc:
        if not _record_fault(exc):
            raise
    report = ImportReport()
    for parsed in batch:
        try:
            report.merge(_write_batch(engine, [parsed], upsert_papers))
        except (sa.exc.StatementError, OverflowError) as exc:
            if not _record_fault(exc):
                raise
            report.rejected.append(Rejection(parsed.location, db_reason(exc)))
    return report


def _record_fault(exc: sa.exc.StatementError | OverflowError) -> bool:
    """A failure caused by the data written (a value the driver or a constraint refuses),
    as opposed to the database being unavailable, locked or read-only."""
    if isinstance(exc, OverflowError | sa.exc.DataError | sa.exc.IntegrityError):
        return True
    return not isinstance(exc, sa.exc.DBAPIError)  # raised while binding a parameter


def db_reason(exc: sa.exc.StatementError | OverflowError) -> str:
    """The first line of the driver's message, without SQLAlchemy's SQL and parameters."""
    cause = exc.orig if isinstance(exc, sa.exc.StatementError) else exc
    lines = str(cause).strip().splitlines()
    return f"the database refused it: {lines[0] if lines else type(cause).__name__}"


def _write_batch(engine: sa.Engine, batch: list[Parsed], write: Writer) -> ImportReport:
    """Write one batch in one transaction and classify each record."""
    report = ImportReport()
    if not batch:
        return report
    records = [p.record for p in batch]
    with transaction(engine) as conn:
        result = write(conn, records, [p.content_hash for p in batch])
        featured = [(pid, r.feature) for pid, r in zip(result.paper_ids, records, strict=True)]
        with_feature = [(pid, f) for pid, f in featured if f is not None]
        submitters = ensure_submitters(conn, [f for _, f in with_feature])
        feature_changes = list(upsert_features(conn, with_feature, submitter_ids=submitters))
        if any(feature_changes) or any(o != "unchanged" for o in result.outcomes):
            generations.bump(conn)  # pages on every node may now be out of date
    changed = iter(feature_changes)
    for outcome, (_, feature) in zip(result.outcomes, featured, strict=True):
        feature_changed = feature is not None and next(changed)
        if outcome == "unchanged" and feature_changed:
            outcome = "updated"
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def import_file(
    engine: sa.Engine,
    path: Path,
    *,
    fmt: str | None = None,
    strict: bool = False,
    batch_size: int = 500,
    on_bytes: ProgressCallback | None = None,
    on_record: ProgressCallback | None = None,
    bulk: bool = False,
) -> ImportReport:
    """Import one file in the given or detected format; `bulk` for large files (module
    docstring): `batch_size` is then the bulk batch."""
    fmt = fmt or detect_format(path)
    if bulk:
        with closing(read_in_child(path, fmt, on_bytes=on_bytes)) as checked:
            report = _load(
                engine,
                checked,
                batch_size=batch_size,
                strict=strict,
                on_record=on_record,
                bulk=True,
            )
        finish_bulk(engine, report.inserted + report.updated)
        return report
    with open_text(path, on_bytes=on_bytes) as stream:
        items = READERS[fmt](stream, path.name)
        return load(engine, items, batch_size=batch_size, strict=strict, on_record=on_record)
