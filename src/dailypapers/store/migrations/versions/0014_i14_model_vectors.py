"""Vectors keyed by (paper, model), and which model serves searches (``vector_models``).

Until now a paper had one vector, so changing the embedding model left search by meaning
empty until every paper was embedded again. Keyed by (paper, model), the new model's vectors
fill in beside the old ones while the old model keeps serving. Existing vectors are kept;
the model that made most of them is marked as serving.

Revision ID: 0014_i14_model_vectors
Revises: 0013_i11_session_version
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import dailypapers.store.schema

revision = "0014_i14_model_vectors"
down_revision = "0013_i11_session_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("paper_embeddings", recreate="always") as batch:
            batch.drop_constraint("pk_paper_embeddings", type_="primary")
            batch.create_primary_key("pk_paper_embeddings", ["paper_id", "model_id"])
    else:
        op.drop_constraint("pk_paper_embeddings", "paper_embeddings", type_="primary")
        op.create_primary_key("pk_paper_embeddings", "paper_embeddings", ["paper_id", "model_id"])
    models = op.create_table(
        "vector_models",
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("serving", sa.Boolean(), nullable=False),
        sa.Column("added_at", dailypapers.store.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("switched_at", dailypapers.store.schema.UtcDateTime(timezone=True)),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_vector_models")),
    )
    _register_existing(models)


def _register_existing(models: sa.Table) -> None:
    """One row per model that has vectors; the most used one serves."""
    counts = op.get_bind().execute(
        sa.text(
            "SELECT model_id, count(*) AS n FROM paper_embeddings "
            "GROUP BY model_id ORDER BY n DESC, model_id"
        )
    )
    now = datetime.now(UTC)
    rows = [
        {"model_id": model_id, "serving": i == 0, "added_at": now, "switched_at": None}
        for i, (model_id, _n) in enumerate(counts)
    ]
    if rows:
        op.bulk_insert(models, rows)


def downgrade() -> None:
    op.drop_table("vector_models")
    # Keep one vector per paper (the serving model's would be best; any is valid to reindex).
    op.execute(
        "DELETE FROM paper_embeddings WHERE EXISTS (SELECT 1 FROM paper_embeddings AS other "
        "WHERE other.paper_id = paper_embeddings.paper_id "
        "AND other.model_id < paper_embeddings.model_id)"
    )
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("paper_embeddings", recreate="always") as batch:
            batch.drop_constraint("pk_paper_embeddings", type_="primary")
            batch.create_primary_key("pk_paper_embeddings", ["paper_id"])
    else:
        op.drop_constraint("pk_paper_embeddings", "paper_embeddings", type_="primary")
        op.create_primary_key("pk_paper_embeddings", "paper_embeddings", ["paper_id"])
