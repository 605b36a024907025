"""Leases: a named background job belongs to one holder (node) until its lease expires.

A holder renews its lease every few seconds; a node that dies stops renewing and, once the
lease is past `expires_at`, the next node that asks takes it. Both steps are one guarded
statement, so two nodes asking at once cannot both win: the UPDATE only matches a lease
that is free or already ours, and the INSERT of a lease nobody held yet hits the primary
key for all but one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from dailypapers.store.schema import leases


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease as stored: who holds it, since when, until when."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


def acquire(conn: sa.Connection, name: str, holder: str, *, ttl: float, now: datetime) -> bool:
    """Take or renew `name` for `holder` until now + ttl; False if someone else holds it.

    Call inside a transaction; on PostgreSQL a lost INSERT race raises IntegrityError,
    which the caller's transaction turns into a rollback and a False.
    """
    expires = now + timedelta(seconds=ttl)
    mine_or_free = sa.or_(leases.c.holder == holder, leases.c.expires_at < now)
    taken = conn.execute(
        leases.update()
        .where(leases.c.name == name, mine_or_free)
        .values(
            holder=holder,
            expires_at=expires,
            acquired_at=sa.case((leases.c.holder == holder, leases.c.acquired_at), else_=now),
        )
    ).rowcount
    if taken:
        return True
    exists = conn.execute(sa.select(leases.c.name).where(leases.c.name == name)).first()
    if exists:
        return False
    conn.execute(
        leases.insert().values(name=name, holder=holder, acquired_at=now, expires_at=expires)
    )
    return True


def release(conn: sa.Connection, name: str, holder: str) -> None:
    """Give `name` up at once (a clean shutdown), if `holder` still has it."""
    conn.execute(leases.delete().where(leases.c.name == name, leases.c.holder == holder))


def all_leases(conn: sa.Connection) -> list[Lease]:
    """Every lease, by name (admin page, `sync status`, tests)."""
    rows = conn.execute(sa.select(leases).order_by(leases.c.name)).all()
    return [Lease(r.name, r.holder, r.acquired_at, r.expires_at) for r in rows]
