"""Collections become shareable: a description, public/private, and an index to find the
collections that hold a paper.

Revision ID: 0007_i10b_collections
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_i10b_collections"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("is_public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_collection_items_paper_id", "collection_items", ["paper_id"])


def downgrade() -> None:
    op.drop_index("ix_collection_items_paper_id", table_name="collection_items")
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("is_public")
        batch.drop_column("description")
