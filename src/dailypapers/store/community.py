"""Votes, comments, collections and authorship claims."""

from __future__ import annotations

import sqlalchemy as sa

from dailypapers.store.schema import votes


def count_votes(conn: sa.Connection) -> int:
    """How many votes were cast on this instance."""
    return conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar_one()
