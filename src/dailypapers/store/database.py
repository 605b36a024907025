"""Engine and transactions: SQLite pragmas (WAL, foreign keys, busy timeout), one helper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from dailypapers.errors import ConfigError

_WRITE = "dailypapers_write"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    """Writers take the write lock at BEGIN, so they queue on busy_timeout instead of failing
    mid-way on a lock upgrade; readers begin deferred and never block anyone (WAL)."""
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_engine(url: str) -> sa.Engine:
    """An engine for `url`; on SQLite, creates the file's directory and sets pragmas."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"{folder}: cannot create the database's directory ({exc.strerror})"
            ) from None
    engine = sa.create_engine(parsed, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE is ours.
    event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def write_problem(engine: sa.Engine) -> str | None:
    """Why this database cannot be written (read-only file, filesystem or server), or None.

    Found by a real write that is rolled back (rewriting the schema version with itself):
    permission bits say nothing to root, nor about read-only mounts and replicas.
    """
    try:
        with transaction(engine) as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
            conn.rollback()
    except sa.exc.DBAPIError as exc:
        return str(exc.orig).strip().splitlines()[0]
    return None


@contextmanager
def transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One short write transaction: committed on success, rolled back on any error."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def backup_sqlite(engine: sa.Engine, target: Path) -> None:
    """A consistent copy of a live SQLite database (`VACUUM INTO`: readers and the writer
    carry on meanwhile, and the copy is compact and needs no WAL file beside it)."""
    if engine.dialect.name != "sqlite":
        raise ConfigError("db backup copies SQLite databases; back PostgreSQL up with pg_dump")
    if target.exists():
        raise ConfigError(f"{target}: already exists; give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = engine.raw_connection()
    try:  # outside any transaction: the connection is in autocommit mode (see create_engine)
        raw.driver_connection.execute("VACUUM INTO ?", (str(target),))  # type: ignore[union-attr]
    finally:
        raw.close()
