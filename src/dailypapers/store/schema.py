"""Tables and constraints, one schema for SQLite and PostgreSQL; no behaviour here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), nullable=False, default=utcnow)


papers = sa.Table(
    "papers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("arxiv_id", sa.String(64), unique=True, nullable=True),
    sa.Column("arxiv_version", sa.Integer, nullable=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("title_key", sa.String(512), nullable=False, index=True),
    sa.Column("abstract", sa.Text, nullable=False),
    # Denormalised from paper_authors for the keyword index (see migration 0004).
    sa.Column("authors_text", sa.Text, nullable=False, server_default=""),
    sa.Column("published_at", UtcDateTime(), nullable=True, index=True),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Column("arxiv_url", sa.Text, nullable=True),
    sa.Column("pdf_url", sa.Text, nullable=True),
    sa.Column("code_url", sa.Text, nullable=True),
    sa.Column("project_url", sa.Text, nullable=True),
    sa.Column("github_stars", sa.Integer, nullable=True),
    sa.Column("ai_summary", sa.Text, nullable=True),
    sa.Column("ai_keywords", sa.JSON, nullable=False, default=list),
    sa.Column("thumbnail_url", sa.Text, nullable=True),
    sa.Column("imported_upvotes", sa.Integer, nullable=False, default=0),
    # Hugging Face's `paper` object as sent, unknown fields included (0009_i12_hf_fields).
    sa.Column("hf_paper", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    _created(),
    sa.Column("modified_at", UtcDateTime(), nullable=False, default=utcnow),
)

paper_authors = sa.Table(
    "paper_authors",
    metadata,
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    # No index on name: queries compare lower(name), which it cannot serve (0015_i14_bulk_import).
)

paper_categories = sa.Table(
    "paper_categories",
    metadata,
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    # No index on category either: queries compare lower(category) (0015_i14_bulk_import).
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=True),
    sa.Column("email", sa.String(320), nullable=True, unique=True),
    sa.Column("password_hash", sa.Text, nullable=True),
    sa.Column("role", sa.String(16), nullable=False, default="member"),
    sa.Column("avatar_url", sa.Text, nullable=True),
    sa.Column("is_imported", sa.Boolean, nullable=False, default=False),
    # Signed session cookies carry this; bumping it ends every session of the user.
    sa.Column("session_version", sa.Integer, nullable=False, default=0, server_default="0"),
    _created(),
    sa.CheckConstraint("role IN ('member', 'curator', 'admin')", name="role"),
)

features = sa.Table(
    "features",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("feature_date", sa.Date, nullable=False),
    sa.Column("submitted_by_id", sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    # Indexed for the API's "newest submission first" pages (0012_i12_submitted_at_index).
    sa.Column("submitted_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("imported_comments", sa.Integer, nullable=False, default=0),
    # Hugging Face's daily item without its `paper` (0009_i12_hf_fields).
    sa.Column("hf_item", sa.JSON(none_as_null=True), nullable=True),
    _created(),
    sa.UniqueConstraint("paper_id", "feature_date"),
    # Pages of a period's features read the index, not the rows (0017_i12_feature_pages).
    sa.Index("ix_features_by_date", "feature_date", "submitted_at", "paper_id", "submitted_by_id"),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    _created(),
    sa.UniqueConstraint("user_id", "paper_id"),
    sa.Index("ix_votes_paper_id", "paper_id"),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_id", sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    _created(),
    sa.Index("ix_comments_paper_id", "paper_id"),
)

collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default="", server_default=""),
    sa.Column("is_public", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    _created(),
    sa.UniqueConstraint("user_id", "name"),
)

collection_items = sa.Table(
    "collection_items",
    metadata,
    sa.Column(
        "collection_id", sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("added_at", UtcDateTime(), nullable=False, default=utcnow),
    sa.Index("ix_collection_items_paper_id", "paper_id"),
)

authorship_claims = sa.Table(
    "authorship_claims",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("decided_by_id", sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    _created(),
    sa.UniqueConstraint("user_id", "paper_id"),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("cadence", sa.String(16), nullable=False, default="daily"),
    sa.Column("topics", sa.JSON, nullable=False, default=list),
    sa.Column("followed_authors", sa.JSON, nullable=False, default=list),
    sa.Column("categories", sa.JSON, nullable=False, default=list),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("confirmed_at", UtcDateTime(), nullable=True),
    sa.Column("failure_count", sa.Integer, nullable=False, default=0),
    sa.Column("token_version", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("confirm_sent_at", UtcDateTime(), nullable=True),
    _created(),
    sa.CheckConstraint("cadence IN ('daily', 'weekly')", name="cadence"),
    sa.CheckConstraint("status IN ('pending', 'active', 'paused', 'unsubscribed')", name="status"),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "subscription_id", sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("period_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("message_id", sa.String(255), nullable=True),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
    sa.Column("data_started_at", UtcDateTime(), nullable=True),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    _created(),
    sa.UniqueConstraint("subscription_id", "period_key"),
    sa.CheckConstraint(
        "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name="status"
    ),
)

delivery_papers = sa.Table(
    "delivery_papers",
    metadata,
    sa.Column("delivery_id", sa.ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
)


EMBEDDING_DIM = 384
"""Vector length of the bundled model; PostgreSQL's HNSW index needs a fixed dimension."""


class EmbeddingVector(TypeDecorator[np.ndarray]):
    """A float vector: f16 bytes on SQLite (half the size, no measurable recall loss), a
    pgvector ``vector(EMBEDDING_DIM)`` on PostgreSQL (so the database itself can be searched)."""

    impl = sa.LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PgVector())
        return dialect.type_descriptor(sa.LargeBinary())

    def process_bind_param(self, value: np.ndarray | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return pgvector_literal(value)
        return np.asarray(value, dtype=np.float16).tobytes()

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> np.ndarray | None:
        if value is None:
            return None
        if isinstance(value, str):
            return np.array(value.strip("[]").split(","), dtype=np.float32)
        return np.frombuffer(value, dtype=np.float16).astype(np.float32)


def pgvector_literal(vector: np.ndarray) -> str:
    """pgvector's text form, ``[0.1,0.2,...]``, which PostgreSQL casts to ``vector``."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


class PgVector(sa.types.UserDefinedType[Any]):
    """pgvector's column type, spelled out so no pgvector Python package is needed."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return f"vector({EMBEDDING_DIM})"


rate_limit_hits = sa.Table(
    "rate_limit_hits",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("window", sa.BigInteger, primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
)
"""Hits per key and fixed window (seconds since the epoch // window length), shared by every
web worker so that a limit holds whatever the number of processes."""

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("node", sa.String(200), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # running, ok, failed
    sa.Column("inserted", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("resolved", sa.Integer, nullable=False),
    sa.Column("fetched_until", sa.Date, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Index("ix_sync_runs_source", "source", "started_at"),
)
"""One row per scheduled or manual sync of a source: what it fetched, up to which day (the
next run resumes there) and, if it stopped, why."""

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("acquired_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)
"""Who runs a background job (sync, digests, embedding) until when; a holder renews well
before `expires_at`, so a row past it belongs to a node that died and may be taken."""

generations = sa.Table(
    "generations",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
"""Counters bumped on every write that pages show (`pages`), so each node's page cache can
tell that another node wrote since it rendered."""

title_lookups = sa.Table(
    "title_lookups",
    metadata,
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tried_at", UtcDateTime(), nullable=False),
)
"""When a paper without an arXiv id last had its title looked up on arXiv (no exact match
then); a sync retries it only after a while."""

paper_embeddings = sa.Table(
    "paper_embeddings",
    metadata,
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model_id", sa.String(200), primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("vector", EmbeddingVector(), nullable=False),
    sa.Column("embedded_at", UtcDateTime(), nullable=False, default=utcnow, index=True),
)
"""A paper's vector under each embedding model: while a new model's vectors are filled in the
background, search keeps answering from the old model's (see ``vector_models``)."""

vector_models = sa.Table(
    "vector_models",
    metadata,
    sa.Column("model_id", sa.String(200), primary_key=True),
    sa.Column("serving", sa.Boolean, nullable=False, default=False),
    sa.Column("added_at", UtcDateTime(), nullable=False, default=utcnow),
    sa.Column("switched_at", UtcDateTime()),
)
"""Embedding models with stored vectors; the one marked ``serving`` answers searches. A newly
configured model is added unmarked, filled by the background embedder, and marked (the old
one's row and vectors dropped) in one transaction once every paper has its vector."""

SEARCH_INDEX_OBJECTS = frozenset({"papers_fts", "search_tsv", "ix_paper_embeddings_hnsw"})
"""Dialect-specific search objects made by migration 0003 and not declared above (an FTS5
virtual table and its shadow tables, a tsvector column (kept by a trigger since 0018), an
HNSW index)."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, _other: Any) -> bool:
    """Alembic comparison filter that leaves the dialect-specific search objects alone."""
    if name is None:
        return True
    return not (name in SEARCH_INDEX_OBJECTS or name.startswith("papers_fts_"))


saves = sa.Table(
    "saves",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    _created(),
)
"""A reader's private reading list (public, named collections are another table)."""

dismissals = sa.Table(
    "dismissals",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    _created(),
)
"""Papers a reader marked "not interested": explicit negatives, hidden from /for-you."""

PREFERENCE_KINDS = (
    "topic",
    "category",
    "author",
    "include_category",
    "exclude_category",
    "include_keyword",
    "exclude_keyword",
)
"""What a reader keeps on their settings page: interests (the first three teach the model)
and the daily feed's filters (the rest)."""

reader_preferences = sa.Table(
    "reader_preferences",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.CheckConstraint(
        "kind IN (" + ", ".join(f"'{k}'" for k in PREFERENCE_KINDS) + ")", name="kind"
    ),
)

reader_models = sa.Table(
    "reader_models",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model_id", sa.String(200), nullable=False),
    sa.Column("weights", sa.LargeBinary, nullable=False),
    sa.Column("bias", sa.Float, nullable=False),
    sa.Column("positives", sa.Integer, nullable=False),
    sa.Column("negatives", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False, default=utcnow),
)
"""Each reader's fitted weights (float32 bytes) for the embedding model that made them."""
