"""PostgreSQL's keyword index also holds the authors (label C), as SQLite's FTS5 table does.

The generated ``search_tsv`` column had the title (A) and the abstract (B) only, so a search
for an author's name found the paper on SQLite and not on PostgreSQL. A generated column's
expression cannot be altered: the column (and its GIN index) is dropped and added again,
which rewrites the papers table once (about a minute per million papers). SQLite is untouched
(its FTS5 table indexes ``authors_text`` since 0006; its tokenizer is unchanged).

Revision ID: 0016_i14_pg_authors
Revises: 0015_i14_bulk_import
"""

from __future__ import annotations

from alembic import op

revision = "0016_i14_pg_authors"
down_revision = "0015_i14_bulk_import"
branch_labels = None
depends_on = None

_TITLE_ABSTRACT = (
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', abstract), 'B')"
)
_AUTHORS = "setweight(to_tsvector('english', authors_text), 'C')"


def _recreate(expression: str) -> None:
    op.execute("ALTER TABLE papers DROP COLUMN search_tsv")  # drops its GIN index too
    column = f"search_tsv tsvector GENERATED ALWAYS AS ({expression}) STORED"
    op.execute(f"ALTER TABLE papers ADD COLUMN {column}")
    op.execute("CREATE INDEX papers_fts ON papers USING gin (search_tsv)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate(f"{_TITLE_ABSTRACT} || {_AUTHORS}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate(_TITLE_ABSTRACT)
