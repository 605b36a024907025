"""Generation counters: a number bumped by every write of some kind, read by every node.

The page cache of each web process keeps pages rendered at generation N and serves them only
while the database still says N, so a write on any node (or by the CLI, or a sync) is seen
by every node's next request instead of after a time-to-live.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dailypapers.store.schema import generations

PAGES = "pages"
"""Bumped by anything a rendered page may show: web writes, imports, syncs."""


def bump(conn: sa.Connection, name: str = PAGES) -> int:
    """Add one to `name` (creating it) and return the new value."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(generations).values(name=name, value=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[generations.c.name], set_={"value": generations.c.value + 1}
    ).returning(generations.c.value)
    return int(conn.execute(upsert).scalar_one())


# Built once: read before every cacheable page, and building a statement (then keying the
# compiled-statement cache by walking it) cost more than running it.
_CURRENT = sa.select(generations.c.value).where(generations.c.name == sa.bindparam("name"))


def current(conn: sa.Connection, name: str = PAGES) -> int:
    """The value of `name`; 0 before its first bump."""
    value = conn.execute(_CURRENT, {"name": name}).scalar_one_or_none()
    return int(value or 0)
