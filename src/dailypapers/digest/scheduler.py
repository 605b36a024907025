"""Periodic digest runs inside `dailypapers serve` (a daemon thread); cron is the alternative.

Every CHECK_SECONDS the thread asks `due_runs` which runs are due now: the daily digest
Monday to Friday from DIGEST_HOUR (UTC), the weekly one on DIGEST_WEEKDAY from the same
hour. A run that completed is not repeated that day; one that stopped (SMTP down) or left
deliveries deferred is tried again at the next check. Repeating a run is harmless anyway:
the outbox never sends a (subscription, period) digest twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from dailypapers.config import Settings
from dailypapers.digest.run import send_digests
from dailypapers.errors import DailyPapersError
from dailypapers.periodic import PeriodicThread
from dailypapers.runtime import Runtime
from dailypapers.store.schema import utcnow

log = logging.getLogger(__name__)
CHECK_SECONDS = 300.0
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def due_runs(now: datetime, settings: Settings) -> list[tuple[str, date]]:
    """The (cadence, last day) runs that should have happened by `now` (UTC) today."""
    if now.hour < settings.digest_hour:
        return []
    today = now.date()
    runs: list[tuple[str, date]] = []
    if today.weekday() < 5:
        runs.append(("daily", today))
    if WEEKDAYS[today.weekday()] == settings.digest_weekday:
        runs.append(("weekly", today))
    return runs


class DigestScheduler(PeriodicThread):
    """A daemon thread that sends due digests; `start()` from serve, `stop()` on shutdown."""

    def __init__(
        self,
        rt: Runtime,
        *,
        check_seconds: float = CHECK_SECONDS,
        gate: Callable[[], bool] = lambda: True,
        digests: bool = True,
        first: Callable[[], object] | None = None,
    ) -> None:
        super().__init__("digest-scheduler", check_seconds, at_start=True)
        self._rt = rt
        self._digests = digests  # False: only `first` runs (DIGEST_SCHEDULE is off)
        self._first = first  # in `serve`: send the confirmations waiting in the outbox
        self._gate = gate  # in `serve`: whether this node holds the `digests` lease
        self._done: set[tuple[str, date]] = set()

    def run_once(self) -> None:
        """The thread's pass: what is due now."""
        self.tick(utcnow())

    def tick(self, now: datetime) -> None:
        """Send every due run not yet completed; errors are logged, never raised."""
        if not self._gate():
            return
        if self._first is not None:
            try:
                self._first()
            except DailyPapersError as exc:
                log.warning("waiting confirmations not sent: %s", exc)
        if not self._digests:
            return
        for run in due_runs(now, self._rt.settings):
            if run in self._done or self.stopping:
                continue
            cadence, day = run
            try:
                report = send_digests(self._rt, cadence, day)
            except DailyPapersError as exc:
                log.warning("%s digest for %s stopped: %s", cadence, day, exc)
                continue
            log.info("%s digest for %s: %s", cadence, day, report)
            if report.deferred == 0:
                self._done.add(run)
