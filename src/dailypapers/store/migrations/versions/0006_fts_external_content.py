"""SQLite keyword index reads its text from papers instead of keeping a copy.

0003's FTS5 table stored its own copy of every title, abstract and author list
(`papers_fts_content`), which no search reads (ranking uses the postings and document sizes):
at a million papers that copy was 666 MB of a 2.9 GB database. An external-content table
(`content='papers'`) indexes the same columns and fetches text from papers if ever asked.
The triggers now pass the old values to FTS5's 'delete' command, as external content needs.
PostgreSQL is untouched (its tsvector is a generated column).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
_TRIGGERS = ("papers_fts_insert", "papers_fts_update", "papers_fts_delete")
_ADD = (
    "INSERT INTO papers_fts (rowid, title, abstract, authors_text) "
    "VALUES (new.id, new.title, new.abstract, new.authors_text);"
)
_REMOVE = (
    "INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors_text) "
    "VALUES ('delete', old.id, old.title, old.abstract, old.authors_text);"
)
_UP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
    "DROP TABLE papers_fts",
    "CREATE VIRTUAL TABLE papers_fts USING fts5(title, abstract, authors_text, "
    f"content = 'papers', content_rowid = 'id', {_TOKENIZE})",
    "INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')",
    f"CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN {_ADD} END",
    "CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors_text ON papers "
    f"BEGIN {_REMOVE} {_ADD} END",
    f"CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN {_REMOVE} END",
]
_DOWN = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
    "DROP TABLE papers_fts",
    f"CREATE VIRTUAL TABLE papers_fts USING fts5(title, abstract, authors, {_TOKENIZE})",
    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
    "SELECT id, title, abstract, authors_text FROM papers",
    "CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN "
    "INSERT INTO papers_fts (rowid, title, abstract, authors) "
    "VALUES (new.id, new.title, new.abstract, new.authors_text); END",
    "CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors_text ON papers "
    "BEGIN UPDATE papers_fts SET title = new.title, abstract = new.abstract, "
    "authors = new.authors_text WHERE rowid = new.id; END",
    "CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN "
    "DELETE FROM papers_fts WHERE rowid = old.id; END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _DOWN:
            op.execute(statement)
