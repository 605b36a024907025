"""Drive any source into the store in batches: idempotent, resumable, reported.

Each batch is one transaction, so a crash loses at most the batch in flight; since
every write is an upsert keyed on the paper's identity, running the same import again
converges on the same final state without duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.ingest.detect import READERS, detect_format
from dailypapers.ingest.normalize import finish
from dailypapers.ingest.source import open_text
from dailypapers.models import ImportReport, Parsed, Rejection, SourceItem
from dailypapers.store import generations
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.papers import upsert_papers
from dailypapers.store.users import ensure_submitters

ProgressCallback = Callable[[int], None]


def load(
    engine: sa.Engine,
    items: Iterable[SourceItem],
    *,
    batch_size: int = 500,
    strict: bool = False,
    on_record: ProgressCallback | None = None,
) -> ImportReport:
    """Import every item; rejections are reported (or, with `strict`, stop the import)."""
    report = ImportReport()
    batch: list[Parsed] = []
    for item in items:
        if isinstance(item, Rejection):
            if strict:
                report.merge(_write(engine, batch))
                raise InputError(f"{item.location}: {item.reason}")
            report.rejected.append(item)
        else:
            batch.append(item)
        if len(batch) >= batch_size:
            report.merge(_write(engine, batch))
            batch = []
        if on_record:
            on_record(1)
    report.merge(_write(engine, batch))
    return report


def _write(engine: sa.Engine, batch: list[Parsed]) -> ImportReport:
    """Write one batch in one transaction and classify each record."""
    report = ImportReport()
    if not batch:
        return report
    records = [finish(p.record) for p in batch]
    with transaction(engine) as conn:
        result = upsert_papers(conn, records)
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
) -> ImportReport:
    """Import one file in the given or detected format."""
    fmt = fmt or detect_format(path)
    with open_text(path, on_bytes=on_bytes) as stream:
        items = READERS[fmt](stream, path.name)
        return load(engine, items, batch_size=batch_size, strict=strict)
