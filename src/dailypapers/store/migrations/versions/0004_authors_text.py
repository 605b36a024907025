"""Authors as one text column on papers, indexed by the FTS5 insert/update triggers.

0003 kept the FTS5 `authors` column current with a trigger per paper_authors row; every
author insert or delete rewrote the paper's whole FTS5 row, so importing a paper with ten
authors indexed it eleven times (imports ran at under a quarter of their speed). The store
now writes `papers.authors_text` with the paper, and the triggers read it from there.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BACKFILL = {
    "sqlite": "UPDATE papers SET authors_text = COALESCE((SELECT group_concat(name, ', ') FROM "
    "(SELECT name FROM paper_authors WHERE paper_id = papers.id ORDER BY position)), '')",
    "postgresql": "UPDATE papers SET authors_text = COALESCE((SELECT string_agg(name, ', ' "
    "ORDER BY position) FROM paper_authors WHERE paper_id = papers.id), '')",
}
_OLD_TRIGGERS = (
    "papers_fts_insert",
    "papers_fts_update",
    "papers_fts_author_insert",
    "papers_fts_author_delete",
)
_NEW_TRIGGERS = [
    "CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN "
    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
    "VALUES (new.id, new.title, new.abstract, new.authors_text); END",
    "CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors_text ON papers "
    "BEGIN UPDATE papers_fts SET title = new.title, abstract = new.abstract, "
    "authors = new.authors_text WHERE rowid = new.id; END",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("papers", sa.Column("authors_text", sa.Text(), nullable=False, server_default=""))
    op.execute(_BACKFILL[dialect])
    if dialect == "sqlite":
        for name in _OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in _NEW_TRIGGERS:
            op.execute(statement)


_AUTHORS_OF = "(SELECT group_concat(name, ', ') FROM paper_authors WHERE paper_id = {id})"
_0003_TRIGGERS = [
    "CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN "
    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
    f"VALUES (new.id, new.title, new.abstract, {_AUTHORS_OF.format(id='new.id')}); END",
    "CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract ON papers BEGIN "
    "UPDATE papers_fts SET title = new.title, abstract = new.abstract WHERE rowid = new.id; END",
    "CREATE TRIGGER papers_fts_author_insert AFTER INSERT ON paper_authors BEGIN "
    f"UPDATE papers_fts SET authors = {_AUTHORS_OF.format(id='new.paper_id')} "
    "WHERE rowid = new.paper_id; END",
    "CREATE TRIGGER papers_fts_author_delete AFTER DELETE ON paper_authors BEGIN "
    f"UPDATE papers_fts SET authors = {_AUTHORS_OF.format(id='old.paper_id')} "
    "WHERE rowid = old.paper_id; END",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in _0003_TRIGGERS:
            op.execute(statement)
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_column("authors_text")
