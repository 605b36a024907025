"""Migrations: the schema they build matches schema.py, and upgrading keeps data."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dailypapers.runtime import Runtime
from dailypapers.store import migrate
from dailypapers.store.database import create_engine, transaction
from dailypapers.store.schema import include_object, metadata, papers, users


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


def test_upgrade_from_0003_fills_authors_text_and_keeps_author_search(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0003")
        conn.exec_driver_sql(
            "INSERT INTO papers (id, title, title_key, abstract, ai_keywords, imported_upvotes,"
            " content_hash, created_at, modified_at) VALUES (1, 'T', 't', 'A', '[]', 0, 'h',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        conn.exec_driver_sql(
            "INSERT INTO paper_authors (paper_id, position, name) "
            "VALUES (1, 0, 'Ada Lovelace'), (1, 1, 'Grace Hopper')"
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        text = conn.execute(sa.select(papers.c.authors_text)).scalar_one()
        assert text == "Ada Lovelace, Grace Hopper"
        if engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'authors:hopper'"
            ).scalars()
            assert list(found) == [1]
    engine.dispose()
