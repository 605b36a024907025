"""Rate-limit counters in the database, so every web worker counts the same hits.

A sliding window is approximated from two fixed ones (the previous window's hits weighted by
how much of it still overlaps the last ``window`` seconds, plus the current window's), which
needs one atomic upsert per hit on either backend instead of a row per hit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dailypapers.store.schema import rate_limit_hits


def hit(conn: sa.Connection, key: str, *, limit: int, window: float, now: float) -> bool:
    """Count a hit for ``key`` at ``now`` (epoch seconds); True when the hits of the last
    ``window`` seconds, this one included, are within ``limit``.

    The count is incremented first and read back from the same statement, so concurrent
    workers each see a distinct total and no more than ``limit`` get through. Refused hits
    count too: a client that keeps hammering stays refused.
    """
    current = int(now // window)
    hits = _increment(conn, key, current)
    previous = conn.execute(
        sa.select(rate_limit_hits.c.hits).where(
            rate_limit_hits.c.key == key, rate_limit_hits.c.window == current - 1
        )
    ).scalar_one_or_none()
    conn.execute(
        rate_limit_hits.delete().where(
            rate_limit_hits.c.key == key, rate_limit_hits.c.window < current - 1
        )
    )
    overlap = 1 - (now % window) / window
    return (previous or 0) * overlap + hits <= limit


def _increment(conn: sa.Connection, key: str, window: int) -> int:
    """Adds one hit to the key's current window and returns the window's new total."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(rate_limit_hits).values(key=key, window=window, hits=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[rate_limit_hits.c.key, rate_limit_hits.c.window],
        set_={"hits": rate_limit_hits.c.hits + 1},
    ).returning(rate_limit_hits.c.hits)
    return int(conn.execute(upsert).scalar_one())


def clear(conn: sa.Connection) -> None:
    """Forget every hit (tests, or an operator lifting limits at once)."""
    conn.execute(rate_limit_hits.delete())
