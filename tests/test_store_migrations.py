"""Migrations: the schema they build matches schema.py, and upgrading keeps data."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dailypapers.runtime import Runtime
from dailypapers.store import migrate
from dailypapers.store.database import create_engine, transaction
from dailypapers.store.schema import (
    include_object,
    metadata,
    paper_embeddings,
    papers,
    users,
    utcnow,
    vector_models,
)


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
                "SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'authors_text:hopper'"
            ).scalars()
            assert list(found) == [1]
        else:  # 0016: PostgreSQL's generated tsvector holds the authors too
            found = conn.exec_driver_sql(
                "SELECT id FROM papers WHERE search_tsv @@ to_tsquery('english', 'hopper')"
            ).scalars()
            assert list(found) == [1]
    engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_0006_indexes_the_papers_text_without_a_copy_and_keeps_it_current(
    database_url: str,
) -> None:
    """Upgraded from 0005 with papers in it: the FTS5 index is rebuilt from papers, keeps no
    content table of its own, and follows edits and deletes (FTS5's external-content
    'delete' needs the old text, which the triggers pass)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0005")
        for pid, title in ((1, "Zebra herds"), (2, "Quokka smiles")):
            conn.exec_driver_sql(
                "INSERT INTO papers (id, title, title_key, abstract, ai_keywords, authors_text,"
                " imported_upvotes, content_hash, created_at, modified_at) VALUES (?, ?, ?, 'A',"
                " '[]', 'Ada', 0, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                (pid, title, title.lower()),
            )
    migrate.upgrade(engine)

    def found(word: str) -> list[int]:
        with engine.connect() as conn:
            q = "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rowid"
            return list(conn.exec_driver_sql(q, (word,)).scalars())

    with engine.connect() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    assert "papers_fts_content" not in tables and "papers_fts" in tables
    assert found("zebra") == [1] and found("ada") == [1, 2]
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE papers SET title = 'Wombat herds' WHERE id = 1")
        conn.exec_driver_sql("DELETE FROM papers WHERE id = 2")
    assert found("zebra") == [] and found("wombat") == [1] and found("quokka") == []
    with engine.connect() as conn:
        check = "INSERT INTO papers_fts (papers_fts) VALUES ('integrity-check')"
        conn.exec_driver_sql(check)  # raises if the index disagrees with papers
    engine.dispose()


def test_0014_keys_vectors_by_paper_and_model_and_serves_the_most_used_model(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0013_i11_session_version")
        for pid in (1, 2, 3):
            conn.exec_driver_sql(
                "INSERT INTO papers (id, title, title_key, abstract, ai_keywords, authors_text,"
                " imported_upvotes, content_hash, created_at, modified_at) VALUES"
                f" ({pid}, 'T{pid}', 't{pid}', 'A', '[]', '', 0, 'h', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        vector = np.full(384, 0.05, dtype=np.float32)
        conn.execute(
            paper_embeddings.insert(),
            [
                {
                    "paper_id": pid,
                    "model_id": model,
                    "content_hash": "h",
                    "text_hash": "t",
                    "vector": vector,
                    "embedded_at": utcnow(),
                }
                for pid, model in ((1, "old"), (2, "old"), (3, "partial"))
            ],
        )
    migrate.upgrade(engine)
    with engine.begin() as conn:
        models = conn.execute(sa.select(vector_models.c.model_id, vector_models.c.serving))
        assert sorted(models.all()) == [("old", True), ("partial", False)]
        conn.execute(
            paper_embeddings.insert(),
            {
                "paper_id": 1,
                "model_id": "partial",
                "content_hash": "h",
                "text_hash": "t",
                "vector": vector,
                "embedded_at": utcnow(),
            },
        )
        assert conn.execute(sa.select(sa.func.count()).select_from(paper_embeddings)).scalar() == 4
    engine.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_0018_search_tsv_is_kept_by_a_trigger_and_downgrades_to_the_generated_column(
    database_url: str,
) -> None:
    """Since 0018 the tsvector is computed when a row comes without one or its text changes,
    and kept when the row brings one (store.bulk's); 0017 gets its generated column back."""
    engine = create_engine(database_url)
    migrate.upgrade(engine)
    insert = (
        "INSERT INTO papers (id, title, title_key, abstract, authors_text, ai_keywords,"
        " imported_upvotes, content_hash, created_at, modified_at{}) VALUES ({}, 'Zebra herds',"
        " 'z', 'A', 'Grace Hopper', '[]', 0, 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP{})"
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(insert.format("", 1, ""))
        conn.exec_driver_sql(insert.format(", search_tsv", 2, ", 'blorp'::tsvector"))
        conn.exec_driver_sql("UPDATE papers SET abstract = 'Quokka smiles' WHERE id = 1")

    def found(word: str) -> list[int]:
        with engine.connect() as conn:
            query = (
                "SELECT id FROM papers WHERE search_tsv @@ to_tsquery('english', %s) ORDER BY id"
            )
            return list(conn.exec_driver_sql(query, (word,)).scalars())

    assert (found("quokka"), found("hopper"), found("zebra"), found("blorp")) == (
        [1],
        [1],
        [1],
        [2],
    )
    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0017_i12_feature_pages")
    assert (found("hopper"), found("blorp")) == ([1, 2], [])  # recomputed from the text
    migrate.upgrade(engine)
    engine.dispose()
