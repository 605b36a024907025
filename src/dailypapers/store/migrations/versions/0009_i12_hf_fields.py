"""Keep what Hugging Face sent: its `paper` object on papers, its item fields on features.

The importer used to keep only the fields the site shows, so the API could not give back
discussionId, authors' `_id`/`user`/`status`, submitter details, organization, mediaUrls and
whatever HF adds next. Both columns hold HF's JSON verbatim (minus what an archiver added);
NULL for papers and features that did not come from HF, and for ones imported before this
revision until they are imported again.

Revision ID: 0009_i12_hf_fields
Revises: 0008_i9_sync
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_i12_hf_fields"
down_revision = "0008_i9_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): papers carries the FTS5 triggers of revision 0006.
    op.add_column("papers", sa.Column("hf_paper", sa.JSON(), nullable=True))
    op.add_column("features", sa.Column("hf_item", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("features", "hf_item")
    op.drop_column("papers", "hf_paper")
