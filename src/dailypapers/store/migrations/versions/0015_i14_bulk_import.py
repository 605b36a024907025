"""Drop the two indexes no query uses: paper_authors.name and paper_categories.category.

Every query that looks at author names or categories compares `lower(name)`, `lower(category)`
or a case-insensitive substring (store/search.py, store/readers.py), which a plain index on
the column cannot serve (EXPLAIN QUERY PLAN: they go through the (paper_id, ...) primary
keys). Yet every imported paper added about ten random inserts into the name index: at a
million papers that was the largest single cost of an import after the keyword index, and
some 200 MB of the database (issue 14, item 4: imports at arXiv scale).

Revision ID: 0015_i14_bulk_import
Revises: 0014_i14_model_vectors
"""

from __future__ import annotations

from alembic import op

revision = "0015_i14_bulk_import"
down_revision = "0014_i14_model_vectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_paper_authors_name", table_name="paper_authors")
    op.drop_index("ix_paper_categories_category", table_name="paper_categories")


def downgrade() -> None:
    op.create_index("ix_paper_categories_category", "paper_categories", ["category"])
    op.create_index("ix_paper_authors_name", "paper_authors", ["name"])
