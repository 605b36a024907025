"""Papers without an arXiv id (from listing pages) whose title was looked up on arXiv, so a
sync asks about each one once a month, not on every run.

Revision ID: 0011_i9_title_lookups
Revises: 0010_i13_reader_signals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dailypapers.store.schema import UtcDateTime

revision = "0011_i9_title_lookups"
down_revision = "0010_i13_reader_signals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "title_lookups",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("tried_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f("fk_title_lookups_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("paper_id", name=op.f("pk_title_lookups")),
    )


def downgrade() -> None:
    op.drop_table("title_lookups")
