"""Rate limits are counted in the database: one limit for every web worker, on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from dailypapers.runtime import Runtime
from dailypapers.store import rate_limits
from dailypapers.store.database import create_engine, transaction
from dailypapers.web.security import RateLimiter

WINDOW = 60.0
START = 1_700_000_040.0  # the start of a window


def _hit(rt: Runtime, key: str, now: float, limit: int = 3) -> bool:
    with transaction(rt.engine) as conn:
        return rate_limits.hit(conn, key, limit=limit, window=WINDOW, now=now)


def test_a_limit_refuses_the_extra_hit_then_recovers_as_the_window_slides(rt: Runtime) -> None:
    assert [_hit(rt, "votes:u1", START + i) for i in range(4)] == [True, True, True, False]
    assert _hit(rt, "votes:u2", START + 5)  # other keys are counted apart
    # Just into the next window almost all of the last one still counts (4 hits, refused).
    assert not _hit(rt, "votes:u1", START + WINDOW + 1)
    # Two windows on, nothing recent is left.
    assert _hit(rt, "votes:u1", START + 2 * WINDOW + 30)


def test_old_windows_are_deleted(rt: Runtime) -> None:
    for i in range(3):
        _hit(rt, "auth:ip1", START + i * WINDOW)
    with rt.engine.connect() as conn:
        windows = conn.exec_driver_sql("SELECT COUNT(*) FROM rate_limit_hits").scalar_one()
    assert windows == 2  # the current window and the one before it


def test_workers_share_one_count_even_when_they_hit_at_once(rt: Runtime) -> None:
    """Two engines on one database stand for two worker processes; 24 simultaneous hits on a
    limit of 5 let exactly 5 through."""
    engines = [rt.engine, create_engine(rt.settings.resolved_database_url)]
    limiters = [RateLimiter(engine) for engine in engines]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            allowed = list(
                pool.map(lambda i: limiters[i % 2].allow("submissions:u7", 5), range(24))
            )
        assert allowed.count(True) == 5
        limiters[1].reset()
        assert limiters[0].allow("submissions:u7", 5)
    finally:
        engines[1].dispose()


def test_zero_means_no_limit(rt: Runtime) -> None:
    limiter = RateLimiter(rt.engine)
    assert all(limiter.allow("comments:u1", 0) for _ in range(10))
