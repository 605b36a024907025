"""SQLite locking: writers take the write lock at BEGIN, readers never block a writer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dailypapers.store.database import create_engine, transaction


def test_write_transactions_hold_the_lock_and_reads_do_not(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    with transaction(engine) as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with engine.connect() as reader:
        reader.exec_driver_sql("SELECT count(*) FROM t").scalar()
        other.execute("BEGIN IMMEDIATE")  # a reader in a transaction does not block a writer
        other.execute("ROLLBACK")
    with transaction(engine) as writer:
        writer.exec_driver_sql("SELECT count(*) FROM t").scalar()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.close()
    engine.dispose()
