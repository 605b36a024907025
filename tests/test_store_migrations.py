"""Migrations: the schema they build matches schema.py, and upgrading keeps data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dailypapers.runtime import Runtime
from dailypapers.store import migrate
from dailypapers.store.database import transaction
from dailypapers.store.schema import include_object, metadata, users


def test_migrations_build_exactly_the_declared_schema(rt: Runtime) -> None:
    with rt.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": include_object}), metadata
        )
    assert diff == []


def test_upgrade_of_a_current_database_keeps_its_data(rt: Runtime) -> None:
    with transaction(rt.engine) as conn:
        conn.execute(users.insert(), {"username": "keep-me"})
    migrate.upgrade(rt.engine)
    assert migrate.current_revision(rt.engine) == migrate.head_revision()
    with rt.engine.connect() as conn:
        assert conn.execute(users.select()).one().username == "keep-me"
