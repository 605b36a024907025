"""Reader signals for the per-reader feed: saves (private reading list), dismissals ("not
interested"), preferences (topics, categories, followed authors, feed filters), and each
reader's fitted model weights.

Revision ID: 0010_i13_reader_signals
Revises: 0009_i12_hf_fields
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dailypapers.store.schema import UtcDateTime

revision = "0010_i13_reader_signals"
down_revision = "0009_i12_hf_fields"
branch_labels = None
depends_on = None

KINDS = (
    "topic",
    "category",
    "author",
    "include_category",
    "exclude_category",
    "include_keyword",
    "exclude_keyword",
)


def _pair_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"],
            ["papers.id"],
            name=op.f(f"fk_{name}_paper_id_papers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "paper_id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _pair_table("saves")
    _pair_table("dismissals")
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    op.create_table(
        "reader_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_reader_preferences_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reader_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "value", name=op.f("pk_reader_preferences")),
    )
    op.create_table(
        "reader_models",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.Column("bias", sa.Float(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("negatives", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reader_models_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_reader_models")),
    )


def downgrade() -> None:
    for name in ("reader_models", "reader_preferences", "dismissals", "saves"):
        op.drop_table(name)
