"""Keep each background job on exactly one node: a thread that takes and renews leases.

Every `serve` process runs one LeaseKeeper over the same job names. Each heartbeat (a third
of the lease's lifetime) it renews the leases it holds and tries to take the free or
expired ones, so while its holder lives a lease never lapses, and when the holder dies
another node takes it within one lifetime plus one heartbeat. Jobs ask `holds(name)`
before each piece of work. A node that cannot reach the database stops claiming to hold
anything once its leases would have expired, so two nodes never both believe they hold one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from dailypapers.errors import Busy
from dailypapers.periodic import PeriodicThread
from dailypapers.store import leases
from dailypapers.store.database import transaction
from dailypapers.store.schema import utcnow

log = logging.getLogger(__name__)

SYNC, DIGESTS, EMBEDDING = "sync", "digests", "embedding"
"""The background jobs of `serve`, each under a lease of that name."""


def node_name() -> str:
    """This process, readably and uniquely: host, pid and a random tail (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LeaseKeeper(PeriodicThread):
    """Holds what leases it can among `names` for this node, renewing them in a thread."""

    def __init__(
        self,
        engine: sa.Engine,
        names: Iterable[str],
        *,
        ttl: float,
        holder: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.names = tuple(names)
        self.ttl = ttl
        self.holder = holder or node_name()
        self._clock = clock
        self._valid_until: dict[str, float] = {}  # local clock: when a held lease lapses
        self._lock = threading.Lock()
        super().__init__("lease-keeper", ttl / 3)

    def start(self) -> None:
        """Take what is free now, then keep renewing in the background."""
        self.beat()
        super().start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop renewing and hand every held lease back, so another node takes over now."""
        super().stop(timeout)
        with self._lock:
            held, self._valid_until = list(self._valid_until), {}
        try:
            with transaction(self.engine) as conn:
                for name in held:
                    leases.release(conn, name, self.holder)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("could not release leases (they expire by themselves): %s", exc)

    def holds(self, name: str) -> bool:
        """Whether this node may run `name` now (its lease is held and not yet lapsed)."""
        with self._lock:
            return self._clock() < self._valid_until.get(name, 0.0)

    def beat(self) -> None:
        """Renew or take each lease once; a database error just lets the leases lapse."""
        for name in self.names:
            started = self._clock()
            try:
                with transaction(self.engine) as conn:
                    won = leases.acquire(conn, name, self.holder, ttl=self.ttl, now=utcnow())
            except sa.exc.IntegrityError:
                won = False  # another node inserted it first
            except sa.exc.SQLAlchemyError as exc:
                log.warning("lease %s not renewed: %s", name, exc)
                continue
            with self._lock:
                had = name in self._valid_until and self._clock() < self._valid_until[name]
                if won:
                    self._valid_until[name] = started + self.ttl
                else:
                    self._valid_until.pop(name, None)
            if won and not had:
                log.info("this node (%s) now runs %s", self.holder, name)

    def run_once(self) -> None:
        """The thread's pass: one heartbeat."""
        self.beat()


def current_leases(engine: sa.Engine) -> list[leases.Lease]:
    """Every lease and its holder (admin page, tests)."""
    with engine.connect() as conn:
        return leases.all_leases(conn)


@contextmanager
def hold(engine: sa.Engine, name: str, *, ttl: float, holder: str | None = None) -> Iterator[None]:
    """Run a one-off job (a CLI command) under lease `name`, renewed while it runs and handed
    back after; Busy, naming the holder, if another node (a `serve`) has it now."""
    keeper = LeaseKeeper(engine, [name], ttl=ttl, holder=holder)
    keeper.start()
    try:
        if not keeper.holds(name):
            other = next((x for x in current_leases(engine) if x.name == name), None)
            who = f"{other.holder} until {other.expires_at:%H:%M:%S} UTC" if other else "?"
            # Every `serve` holds the job leases, syncing or not, so say who holds it rather
            # than claiming the job is running there.
            raise Busy(f"another node holds the {name} lease ({who}); try again later")
        yield
    finally:
        keeper.stop()
