"""Search: keyword index kept in step with papers by the database, and paper embeddings.

SQLite: an FTS5 table (title, abstract, authors; Porter stemming) filled by triggers on papers
and paper_authors, so a paper is findable by keyword the moment its transaction commits.
PostgreSQL: a generated tsvector column (title weight A, abstract B) with a GIN index, and
pgvector for embeddings with an HNSW (cosine) index, so every web server shares one index.
Both: ``paper_embeddings``, the durable source of vectors (the SQLite HNSW file is rebuilt
from it).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dailypapers.store.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_AUTHORS_OF = "(SELECT group_concat(name, ', ') FROM paper_authors WHERE paper_id = {id})"

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE papers_fts USING fts5("
    "title, abstract, authors, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
    f"SELECT id, title, abstract, {_AUTHORS_OF.format(id='papers.id')} FROM papers",
    "CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN "
    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
    f"VALUES (new.id, new.title, new.abstract, {_AUTHORS_OF.format(id='new.id')}); END",
    "CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract ON papers BEGIN "
    "UPDATE papers_fts SET title = new.title, abstract = new.abstract WHERE rowid = new.id; END",
    "CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN "
    "DELETE FROM papers_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER papers_fts_author_insert AFTER INSERT ON paper_authors BEGIN "
    f"UPDATE papers_fts SET authors = {_AUTHORS_OF.format(id='new.paper_id')} "
    "WHERE rowid = new.paper_id; END",
    "CREATE TRIGGER papers_fts_author_delete AFTER DELETE ON paper_authors BEGIN "
    f"UPDATE papers_fts SET authors = {_AUTHORS_OF.format(id='old.paper_id')} "
    "WHERE rowid = old.paper_id; END",
]

_POSTGRES_UP = [
    "ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', abstract), 'B')) STORED",
    "CREATE INDEX papers_fts ON papers USING gin (search_tsv)",
    "CREATE EXTENSION IF NOT EXISTS vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_UP if dialect == "sqlite" else _POSTGRES_UP:
        op.execute(statement)
    op.create_table(
        "paper_embeddings",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", dailypapers.store.schema.EmbeddingVector(), nullable=False),
        sa.Column(
            "embedded_at", dailypapers.store.schema.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_paper_embeddings_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", name=op.f("pk_paper_embeddings")),
    )
    op.create_index(
        op.f("ix_paper_embeddings_embedded_at"), "paper_embeddings", ["embedded_at"], unique=False
    )
    if dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_paper_embeddings_hnsw ON paper_embeddings "
            "USING hnsw (vector vector_cosine_ops)"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("paper_embeddings")
    if dialect == "sqlite":
        op.execute("DROP TABLE papers_fts")
    else:
        op.execute("ALTER TABLE papers DROP COLUMN search_tsv")
