"""Generation counters: a number bumped by every write of some kind, read by every node.

The page cache of each web process keeps pages rendered at generation N and serves them only
while the database still says N, so a write on any node (or by the CLI, or a sync) is seen
by every node's next request instead of after a time-to-live.
"""

from __future__ import annotations

import functools
from typing import Any

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


def read(engine: sa.Engine, name: str = PAGES) -> int:
    """`current`, on a pooled driver connection and outside any transaction: the page cache
    reads it before every cacheable request, on the event loop, and a SQLAlchemy connection
    (BEGIN, the statement, ROLLBACK) cost five times the read itself. Raises the driver's
    errors as they are (`engine.dialect.loaded_dbapi.Error`) or SQLAlchemy's."""
    sql, params = _driver_statement(engine.dialect, name)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        raw.close()
    return int(row[0] or 0) if row else 0


@functools.cache
def _driver_statement(dialect: sa.Dialect, name: str) -> tuple[str, Any]:
    """_CURRENT as the driver takes it: its SQL and parameters in its paramstyle."""
    compiled = _CURRENT.compile(dialect=dialect)
    params = compiled.construct_params({"name": name})
    if compiled.positional:
        return str(compiled), tuple(params[key] for key in compiled.positiontup or ())
    return str(compiled), params
