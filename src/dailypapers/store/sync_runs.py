"""The sync_runs table: one row per run of a source, opened when it starts, closed when it
ends. A row left `running` belongs to a process that died mid-run: the next run of that
source (which holds the sync lease, so nothing else can be running it) closes it as failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from dailypapers.store.schema import sync_runs


@dataclass(frozen=True, slots=True)
class SyncRun:
    """A run as recorded."""

    id: int
    source: str
    node: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    resolved: int
    fetched_until: date | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a finished run reports."""

    status: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    resolved: int = 0
    fetched_until: date | None = None
    error: str | None = None


def start(conn: sa.Connection, source: str, node: str, now: datetime) -> int:
    """Open a run; its id."""
    zeros = dict.fromkeys(("inserted", "updated", "unchanged", "rejected", "resolved"), 0)
    return int(
        conn.execute(
            sync_runs.insert()
            .values(source=source, node=node, started_at=now, status="running", **zeros)
            .returning(sync_runs.c.id)
        ).scalar_one()
    )


ABANDONED = "stopped before it finished: the process running it ended (closed by the next run)"


def close_abandoned(conn: sa.Connection, source: str) -> int:
    """Mark `source`'s runs still `running` as failed; how many. Only the holder of the sync
    lease may call it: then no live process is running `source`. `finished_at` stays empty,
    since when the process died is not known."""
    return conn.execute(
        sync_runs.update()
        .where(sync_runs.c.source == source, sync_runs.c.status == "running")
        .values(status="failed", error=ABANDONED)
    ).rowcount


def finish(conn: sa.Connection, run_id: int, outcome: Outcome, now: datetime) -> None:
    """Close a run with its counts and, if it stopped, the one-line reason."""
    conn.execute(
        sync_runs.update()
        .where(sync_runs.c.id == run_id)
        .values(
            finished_at=now,
            status=outcome.status,
            inserted=outcome.inserted,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            rejected=outcome.rejected,
            resolved=outcome.resolved,
            fetched_until=outcome.fetched_until,
            error=outcome.error,
        )
    )


def recent(conn: sa.Connection, *, limit: int = 20, source: str | None = None) -> list[SyncRun]:
    """The latest runs, newest first."""
    query = sa.select(sync_runs).order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
    if source is not None:
        query = query.where(sync_runs.c.source == source)
    return [SyncRun(**row._mapping) for row in conn.execute(query.limit(limit))]


def last_success(conn: sa.Connection, source: str) -> SyncRun | None:
    """The newest run of `source` that completed, or None."""
    row = conn.execute(
        sa.select(sync_runs)
        .where(sync_runs.c.source == source, sync_runs.c.status == "ok")
        .order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc())
        .limit(1)
    ).first()
    return SyncRun(**row._mapping) if row else None


def last_run(conn: sa.Connection, source: str) -> SyncRun | None:
    """The newest run of `source`, whatever its outcome."""
    runs = recent(conn, limit=1, source=source)
    return runs[0] if runs else None


def resume_from(conn: sa.Connection, source: str) -> date | None:
    """The newest day any run of `source` fetched completely (a failed run counts for the
    days it finished): where the next run starts."""
    return conn.execute(
        sa.select(sa.func.max(sync_runs.c.fetched_until)).where(sync_runs.c.source == source)
    ).scalar_one_or_none()
