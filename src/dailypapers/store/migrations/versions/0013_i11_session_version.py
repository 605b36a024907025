"""Server-side session revocation: a per-user session version that signed cookies must match.

Revision ID: 0013_i11_session_version
Revises: 0012_i12_submitted_at_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_i11_session_version"
down_revision = "0012_i12_submitted_at_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
