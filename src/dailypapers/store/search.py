"""SQL behind search: filters over papers, and the paper_embeddings table (the durable vectors).

The keyword indexes (dailypapers.search.keyword) own their FTS5 / tsvector SQL; everything
else search needs from the database is here, for both backends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa

from dailypapers.models import SearchFilters
from dailypapers.store.schema import (
    features,
    paper_authors,
    paper_categories,
    paper_embeddings,
    papers,
    pgvector_literal,
    utcnow,
    vector_models,
)

Order = Literal["date", "upvotes"]


def filter_clauses(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions on ``papers`` for the filters; several values of one kind are OR-ed."""
    clauses: list[sa.ColumnElement[bool]] = []
    if filters.since:
        clauses.append(papers.c.published_at >= _start_of(filters.since))
    if filters.until:
        clauses.append(papers.c.published_at < _start_of(filters.until + timedelta(days=1)))
    if filters.categories:
        clauses.append(_has_category(filters.categories))
    for author in filters.authors:
        clauses.append(_has_author(author))
    if filters.has_code:
        clauses.append(papers.c.code_url.is_not(None))
    if filters.featured_only:
        clauses.append(sa.exists().where(features.c.paper_id == papers.c.id))
    return clauses


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _has_category(categories: Sequence[str]) -> sa.ColumnElement[bool]:
    """``cs`` matches every cs.* category; ``cs.CL`` matches itself (case-insensitively)."""
    cat = sa.func.lower(paper_categories.c.category)
    wanted = [c.lower() for c in categories]
    match = sa.or_(cat.in_(wanted), *(cat.startswith(f"{c}.", autoescape=True) for c in wanted))
    return sa.exists().where(paper_categories.c.paper_id == papers.c.id, match)


def _has_author(name: str) -> sa.ColumnElement[bool]:
    """Any author whose name contains ``name`` (case-insensitive), so surnames work."""
    return sa.exists().where(
        paper_authors.c.paper_id == papers.c.id,
        paper_authors.c.name.icontains(name, autoescape=True),
    )


def keep_matching(conn: sa.Connection, ids: Collection[int], filters: SearchFilters) -> set[int]:
    """The ids that still exist and pass the filters (the vector leg cannot filter itself)."""
    if not ids:
        return set()
    q = sa.select(papers.c.id).where(papers.c.id.in_(set(ids)), *filter_clauses(filters))
    return set(conn.execute(q).scalars())


def browse(
    conn: sa.Connection, filters: SearchFilters, *, order: Order, limit: int, offset: int
) -> tuple[list[int], int]:
    """Papers passing the filters with no text to rank by: a page of ids and the total."""
    clauses = filter_clauses(filters)
    count = sa.select(sa.func.count()).select_from(papers).where(*clauses)
    total = conn.execute(count).scalar_one()
    key = papers.c.imported_upvotes if order == "upvotes" else papers.c.published_at
    q = (
        sa.select(papers.c.id)
        .where(*clauses)
        .order_by(key.desc().nulls_last(), papers.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(conn.execute(q).scalars()), total


def title_keys(conn: sa.Connection, ids: Collection[int]) -> dict[int, str]:
    """Normalised titles, to drop the same paper stored twice from 'similar papers'."""
    if not ids:
        return {}
    q = sa.select(papers.c.id, papers.c.title_key).where(papers.c.id.in_(set(ids)))
    return {r.id: r.title_key for r in conn.execute(q)}


@dataclass(frozen=True, slots=True)
class StalePaper:
    """A paper whose vector is missing, from another model, or older than its content."""

    id: int
    title: str
    abstract: str
    content_hash: str
    text_hash: str | None
    model_id: str | None


def _stale_condition() -> sa.ColumnElement[bool]:
    """With ``_model_vectors`` outer-joined: no vector of the model, or an outdated one."""
    e = paper_embeddings.c
    return sa.or_(e.paper_id.is_(None), e.content_hash != papers.c.content_hash)


def _with_model_vectors(model_id: str) -> sa.Join:
    """Papers outer-joined with their vector of ``model_id`` (one row per paper)."""
    e = paper_embeddings.c
    return papers.outerjoin(
        paper_embeddings, sa.and_(e.paper_id == papers.c.id, e.model_id == model_id)
    )


def stale_papers(
    conn: sa.Connection, model_id: str, *, after_id: int, limit: int
) -> list[StalePaper]:
    """The next ``limit`` stale papers by id after ``after_id`` (keyset paging: a full
    reindex reads each paper once instead of rescanning the done ones every batch)."""
    e = paper_embeddings.c
    q = (
        sa.select(
            papers.c.id,
            papers.c.title,
            papers.c.abstract,
            papers.c.content_hash,
            e.text_hash,
            e.model_id,
        )
        .select_from(_with_model_vectors(model_id))
        .where(papers.c.id > after_id, _stale_condition())
        .order_by(papers.c.id)
        .limit(limit)
    )
    return [StalePaper(*row) for row in conn.execute(q)]


def count_stale(conn: sa.Connection, model_id: str) -> int:
    """How many papers need a (new) vector for ``model_id``."""
    q = sa.select(sa.func.count()).select_from(_with_model_vectors(model_id))
    return conn.execute(q.where(_stale_condition())).scalar_one()


def paper_count(conn: sa.Connection) -> int:
    """How many papers there are (for a model's coverage)."""
    return conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()


def save_embeddings(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace vectors; each row has paper_id, model_id, content_hash, text_hash,
    vector. Replacing is delete + insert: portable, and the batch is one transaction. Only
    the same model's vector of a paper is replaced; other models' stay."""
    if not rows:
        return
    now = utcnow()
    e = paper_embeddings.c
    for model_id in {r["model_id"] for r in rows}:
        ids = [r["paper_id"] for r in rows if r["model_id"] == model_id]
        conn.execute(sa.delete(paper_embeddings).where(e.model_id == model_id, e.paper_id.in_(ids)))
    conn.execute(paper_embeddings.insert(), [{**r, "embedded_at": now} for r in rows])


def mark_current(conn: sa.Connection, model_id: str, pairs: Sequence[tuple[int, str]]) -> None:
    """Record that a model's vector is still right for the paper's new content (text
    unchanged)."""
    if not pairs:
        return
    e = paper_embeddings.c
    stmt = (
        sa.update(paper_embeddings)
        .where(e.paper_id == sa.bindparam("pid"), e.model_id == model_id)
        .values(content_hash=sa.bindparam("hash"))
    )
    conn.execute(stmt, [{"pid": pid, "hash": h} for pid, h in pairs])


def serving_model(conn: sa.Connection) -> str | None:
    """The model whose vectors answer searches; None before anything was embedded."""
    q = sa.select(vector_models.c.model_id).where(vector_models.c.serving)
    return conn.execute(q.limit(1)).scalar_one_or_none()


def model_count(conn: sa.Connection) -> int:
    """How many models have (or are getting) vectors: 2 while a new model is filled in."""
    return conn.execute(sa.select(sa.func.count()).select_from(vector_models)).scalar_one()


def register_model(conn: sa.Connection, model_id: str) -> None:
    """Note a model that vectors are made for; it serves at once when no other model does."""
    serving = serving_model(conn)
    exists = conn.execute(
        sa.select(vector_models.c.model_id).where(vector_models.c.model_id == model_id)
    ).first()
    if exists is None:
        conn.execute(
            vector_models.insert(),
            {"model_id": model_id, "serving": serving is None, "added_at": utcnow()},
        )
    elif serving is None:
        switch_serving(conn, model_id)


def switch_serving(conn: sa.Connection, model_id: str) -> list[str]:
    """Make ``model_id`` serve, and drop every other model's row and vectors (one
    transaction: a reader sees the old model or the new one, never neither). Returns the
    models dropped."""
    m = vector_models.c
    dropped = list(conn.execute(sa.select(m.model_id).where(m.model_id != model_id)).scalars())
    conn.execute(sa.delete(paper_embeddings).where(paper_embeddings.c.model_id != model_id))
    conn.execute(sa.delete(vector_models).where(m.model_id != model_id))
    conn.execute(
        sa.update(vector_models)
        .where(m.model_id == model_id)
        .values(serving=True, switched_at=utcnow())
    )
    return dropped


def has_embeddings(conn: sa.Connection, model_id: str | None) -> bool:
    """Whether any paper has a vector (of ``model_id``, or of any model when None)."""
    q = sa.select(paper_embeddings.c.paper_id)
    if model_id is not None:
        q = q.where(paper_embeddings.c.model_id == model_id)
    return conn.execute(q.limit(1)).first() is not None


def vector_of(conn: sa.Connection, paper_id: int, model_id: str) -> np.ndarray | None:
    """The stored vector of one paper for ``model_id``, if it has one."""
    q = sa.select(paper_embeddings.c.vector).where(
        paper_embeddings.c.paper_id == paper_id, paper_embeddings.c.model_id == model_id
    )
    return conn.execute(q).scalar_one_or_none()


def embeddings_since(
    conn: sa.Connection, model_id: str, since: datetime | None
) -> tuple[np.ndarray, np.ndarray, datetime | None]:
    """Ids and vectors embedded at or after ``since`` (all when None), and the newest time."""
    e = paper_embeddings.c
    q = sa.select(e.paper_id, e.vector, e.embedded_at).where(e.model_id == model_id)
    if since is not None:
        q = q.where(e.embedded_at >= since)
    rows = conn.execute(q).all()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32), since
    ids = np.fromiter((r.paper_id for r in rows), dtype=np.int64, count=len(rows))
    return ids, np.vstack([r.vector for r in rows]), max(r.embedded_at for r in rows)


def embedding_ids(conn: sa.Connection, model_id: str) -> np.ndarray:
    """Every paper id with a vector for ``model_id``."""
    q = sa.select(paper_embeddings.c.paper_id).where(paper_embeddings.c.model_id == model_id)
    return np.fromiter(conn.execute(q).scalars(), dtype=np.int64)


def nearest_pgvector(
    conn: sa.Connection, vector: np.ndarray, *, model_id: str, k: int
) -> list[tuple[int, float]]:
    """PostgreSQL only: the ``k`` nearest vectors by cosine through the HNSW index."""
    # While a second model is filled in, the HNSW index holds both models' vectors and
    # pgvector filters by model after the index scan: look at proportionally more of it.
    spread = max(1, model_count(conn))
    conn.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {max(40, min(k * spread, 1000))}")
    q = sa.text(
        "SELECT paper_id, 1 - (vector <=> CAST(:q AS vector)) AS similarity "
        "FROM paper_embeddings WHERE model_id = :model "
        "ORDER BY vector <=> CAST(:q AS vector) LIMIT :k"
    )
    return [
        (r[0], float(r[1]))
        for r in conn.execute(q, {"q": pgvector_literal(vector), "model": model_id, "k": k})
    ]


def insert_documents(conn: sa.Connection, docs: Sequence[tuple[str, str]]) -> list[int]:
    """Plain (title, text) documents as papers, one row each, ids in input order.

    For evaluation stores: unlike an import, nothing is merged, so documents that share a
    title (or have none) stay apart, as the test collection's judgments require.
    """
    if not docs:
        return []
    rows = [
        {
            "title": title,
            "title_key": f"doc-{n}",
            "abstract": text,
            "content_hash": hashlib.sha256(f"{title}\n{text}".encode()).hexdigest(),
        }
        for n, (title, text) in enumerate(docs)
    ]
    stmt = papers.insert().returning(papers.c.id, sort_by_parameter_order=True)
    return list(conn.execute(stmt, rows).scalars())
