"""Index features.submitted_at: `/api/daily_papers` pages by newest submission, and without
an index every page sorted all features before taking its 100.

Revision ID: 0012_i12_submitted_at_index
Revises: 0011_i9_title_lookups
"""

from __future__ import annotations

from alembic import op

revision = "0012_i12_submitted_at_index"
down_revision = "0011_i9_title_lookups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_features_submitted_at"), "features", ["submitted_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_features_submitted_at"), table_name="features")
