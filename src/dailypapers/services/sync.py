"""Scheduled sync: keep configured sources current, record every run, resume where it stopped.

Sources come from `DAILYPAPERS_SYNC_SOURCES`: `hf` (the daily feed at HF_API_URL, every
SYNC_HF_INTERVAL_MINUTES) and `arxiv:CAT,CAT` (new submissions, once a day after
SYNC_ARXIV_HOUR UTC, which also looks up the titles of papers without an arXiv id). A run
fetches from the last day any earlier run completed (that day
again, since its counts still move) to today, or SYNC_FIRST_DAYS back the first time, and is
recorded in `sync_runs` with its counts and, when it stopped, a one-line reason. The days it
completed count, so a run killed or failed mid-way is resumed by the next with no duplicates
(every write is an upsert; what it changes bumps the pages generation, through the loader,
so every node's page cache drops its copies). `serve` runs `SyncScheduler` under the `sync`
lease; cron can run `dailypapers sync` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from dailypapers.errors import ConfigError, DailyPapersError
from dailypapers.ingest.arxiv_api import ArxivApiClient
from dailypapers.ingest.hf_feed import mirror
from dailypapers.ingest.loader import load
from dailypapers.models import ImportReport, Parsed
from dailypapers.periodic import PeriodicThread
from dailypapers.runtime import Runtime
from dailypapers.store import papers as store_papers
from dailypapers.store import sync_runs
from dailypapers.store.database import transaction
from dailypapers.store.schema import utcnow
from dailypapers.store.sync_runs import Outcome, SyncRun
from dailypapers.titles import title_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    """One configured source: `hf`, or `arxiv` with its categories. `key` names its runs."""

    kind: str
    categories: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """As written in the setting: `hf` or `arxiv:cs.CL,cs.LG`."""
        return self.kind if not self.categories else f"{self.kind}:{','.join(self.categories)}"


def parse_sources(text: str) -> list[Source]:
    """The sources of DAILYPAPERS_SYNC_SOURCES; ConfigError names a bad one."""
    sources: list[Source] = []
    for word in text.split():
        kind, _, rest = word.partition(":")
        categories = tuple(c for c in rest.split(",") if c)
        if kind == "hf" and not rest:
            sources.append(Source("hf"))
        elif kind == "arxiv" and categories:
            sources.append(Source("arxiv", categories))
        else:
            raise ConfigError(
                f"DAILYPAPERS_SYNC_SOURCES: {word!r} is not a source; use `hf` or "
                '`arxiv:CATEGORY[,CATEGORY...]`, e.g. "hf arxiv:cs.CL,cs.LG"'
            )
    return sources


def next_due(source: Source, last_started: datetime | None, rt: Runtime) -> datetime | None:
    """When `source` should run next; None means now (it never ran)."""
    if last_started is None:
        return None
    if source.kind == "hf":
        return last_started + timedelta(minutes=rt.settings.sync_hf_interval_minutes)
    hour = time(rt.settings.sync_arxiv_hour, tzinfo=last_started.tzinfo)
    same_day = datetime.combine(last_started.date(), hour)
    return same_day if same_day > last_started else same_day + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A source with its newest run and when the next is due (None: now)."""

    source: Source
    last: SyncRun | None
    due: datetime | None


def status(rt: Runtime) -> list[SourceStatus]:
    """Every configured source, its last run and its next one."""
    with rt.engine.connect() as conn:
        lasts = [
            (s, sync_runs.last_run(conn, s.key)) for s in parse_sources(rt.settings.sync_sources)
        ]
    return [
        SourceStatus(s, last, next_due(s, last.started_at if last else None, rt))
        for s, last in lasts
    ]


def recent_runs(rt: Runtime, limit: int = 20) -> list[SyncRun]:
    """The latest runs of any source, newest first."""
    with rt.engine.connect() as conn:
        return sync_runs.recent(conn, limit=limit)


def window(rt: Runtime, source: Source, today: date) -> tuple[date, date]:
    """The days a run fetches: from the last day completed (again) to today."""
    with rt.engine.connect() as conn:
        done = sync_runs.resume_from(conn, source.key)
    first = done or today - timedelta(days=rt.settings.sync_first_days - 1)
    return min(first, today), today


def run_source(rt: Runtime, source: Source, *, node: str, now: datetime | None = None) -> SyncRun:
    """Fetch what is new for one source and record the run; never raises for a bad source.

    The caller holds the sync lease (the scheduler's gate, or `hold` in the CLI), so a run
    of this source still marked running was left by a dead process and is closed here."""
    now = now or utcnow()
    with transaction(rt.engine) as conn:
        sync_runs.close_abandoned(conn, source.key)
        run_id = sync_runs.start(conn, source.key, node, now)
    start, end = window(rt, source, now.date())
    try:
        outcome = _fetch(rt, source, start, end)
    except (DailyPapersError, sa.exc.SQLAlchemyError, OSError) as exc:
        outcome = Outcome("failed", error=_one_line(exc))
    except BaseException:  # Ctrl-C, shutdown: close the record, then let it through
        _finish(rt, run_id, Outcome("failed", error="interrupted"))
        raise
    return _finish(rt, run_id, outcome)


def _finish(rt: Runtime, run_id: int, outcome: Outcome) -> SyncRun:
    with transaction(rt.engine) as conn:
        sync_runs.finish(conn, run_id, outcome, utcnow())
    with rt.engine.connect() as conn:
        return next(r for r in sync_runs.recent(conn, limit=5) if r.id == run_id)


def _fetch(rt: Runtime, source: Source, start: date, end: date) -> Outcome:
    if source.kind == "hf":
        with rt.hf_feed_client() as client:
            result = mirror(rt.engine, client, start, end, batch_size=rt.settings.import_batch_size)
        return _outcome(result.report, result.last_day, result.error)
    report = ImportReport()
    with rt.arxiv_client() as client:
        for category in source.categories:
            items = client.search(category, start, end)
            report.merge(load(rt.engine, items, batch_size=rt.settings.import_batch_size))
        resolved = resolve_titles(rt, client, limit=rt.settings.sync_resolve_per_run)
    return replace(_outcome(report, end, None), resolved=resolved)


RETRY_LOOKUP = timedelta(days=30)
"""A title arXiv did not know is asked about again after this long (it may appear later)."""


def resolve_titles(rt: Runtime, client: ArxivApiClient, *, limit: int) -> int:
    """Give papers without an arXiv id (listing pages) theirs, when arXiv has exactly one
    paper whose normalised title is theirs; how many were resolved.

    The record arXiv returns is imported like any other: the loader matches it to the paper
    by its title and fills the id in, so its page, votes and features stay where they were.
    """
    now = utcnow()
    with rt.engine.connect() as conn:
        todo = store_papers.titles_to_look_up(conn, tried_before=now - RETRY_LOOKUP, limit=limit)
    resolved, missed = 0, []
    try:
        for paper_id, title in todo:
            key = title_key(title)
            same = [r for r in client.find_title(title) if title_key(r.title) == key]
            if len({r.arxiv_id for r in same}) == 1:
                load(rt.engine, [Parsed(f"arXiv title match for paper {paper_id}", same[0])])
            if _has_arxiv_id(rt, paper_id):
                resolved += 1
            else:
                missed.append(paper_id)
    finally:
        with transaction(rt.engine) as conn:
            store_papers.mark_looked_up(conn, missed, now)
    return resolved


def _has_arxiv_id(rt: Runtime, paper_id: int) -> bool:
    with rt.engine.connect() as conn:
        found = store_papers.get_papers(conn, [paper_id])
    return bool(found and found[0].arxiv_id)


def _outcome(report: ImportReport, fetched_until: date | None, error: str | None) -> Outcome:
    return Outcome(
        status="failed" if error else "ok",
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=len(report.rejected),
        fetched_until=fetched_until,
        error=error or _first_rejection(report),
    )


def _first_rejection(report: ImportReport) -> str | None:
    """Kept on a successful run too, so an operator sees why records were skipped."""
    if not report.rejected:
        return None
    first = report.rejected[0]
    more = f" (and {len(report.rejected) - 1} more)" if len(report.rejected) > 1 else ""
    return f"rejected {first.location}: {first.reason}{more}"


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_due(
    rt: Runtime, *, node: str, now: datetime | None = None, force: bool = False
) -> list[SyncRun]:
    """Run every configured source that is due at `now` (all of them with `force`)."""
    now = now or utcnow()
    runs = []
    for item in status(rt):
        if force or item.due is None or item.due <= now:
            runs.append(run_source(rt, item.source, node=node, now=now))
    return runs


class SyncScheduler(PeriodicThread):
    """A daemon thread that runs due sources every `check_seconds` while `gate()` allows
    (in `serve`: while this node holds the `sync` lease)."""

    def __init__(
        self,
        rt: Runtime,
        *,
        node: str,
        gate: Callable[[], bool] = lambda: True,
        check_seconds: float | None = None,
        after_run: Callable[[], None] | None = None,
    ) -> None:
        super().__init__("sync-scheduler", check_seconds or rt.settings.sync_check_seconds)
        self._rt = rt
        self._node = node
        self._gate = gate
        self._after_run = after_run

    def run_once(self) -> None:
        """The thread's pass."""
        self.tick()

    def tick(self) -> list[SyncRun]:
        """Run what is due if this node may; failures are recorded and logged, never raised."""
        if not self._gate():
            return []
        try:
            runs = run_due(self._rt, node=self._node)
        except (DailyPapersError, sa.exc.SQLAlchemyError) as exc:
            log.warning("sync check failed, will retry: %s", _one_line(exc))
            return []
        for run in runs:
            log.info(
                "sync %s: %s, %d new, %d updated%s",
                run.source,
                run.status,
                run.inserted,
                run.updated,
                f" ({run.error})" if run.error else "",
            )
        if runs and self._after_run is not None:
            self._after_run()
        return runs
