"""Digests: token version and confirmation time on subscriptions, DATA start on deliveries.

`token_version` lets a re-subscription invalidate links mailed for the earlier one;
`confirm_sent_at` stops a pending address from being mailed again within the confirm
window; `data_started_at` tells a crashed send that may have reached the mail server from
one that cannot have (see dailypapers.digest.outbox).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dailypapers.store.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "confirm_sent_at",
                dailypapers.store.schema.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "data_started_at",
                dailypapers.store.schema.UtcDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("data_started_at")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("confirm_sent_at")
        batch_op.drop_column("token_version")
