"""A reader's signals and model: saves (reading list), dismissals, preferences, weights.

Upvotes live in ``votes`` (store.community); everything else the per-reader feed learns from
is here, with the stored weights of the reader's model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa

from dailypapers.store.schema import (
    dismissals,
    paper_authors,
    paper_categories,
    paper_embeddings,
    papers,
    reader_models,
    reader_preferences,
    saves,
    subscriptions,
    users,
    utcnow,
    votes,
)


def _pair(kind: str) -> sa.Table:
    return {"save": saves, "dismiss": dismissals}[kind]


def add_mark(conn: sa.Connection, kind: str, user_id: int, paper_id: int) -> bool:
    """Save or dismiss a paper; False when it already was (one row per reader and paper)."""
    table = _pair(kind)
    exists = conn.execute(
        sa.select(table.c.paper_id).where(table.c.user_id == user_id, table.c.paper_id == paper_id)
    ).first()
    if exists:
        return False
    conn.execute(table.insert(), {"user_id": user_id, "paper_id": paper_id, "created_at": utcnow()})
    return True


def remove_mark(conn: sa.Connection, kind: str, user_id: int, paper_id: int) -> bool:
    """Unsave or undismiss; False when there was nothing to remove."""
    table = _pair(kind)
    done = conn.execute(
        sa.delete(table).where(table.c.user_id == user_id, table.c.paper_id == paper_id)
    )
    return bool(done.rowcount)


def marked(conn: sa.Connection, kind: str, user_id: int) -> list[tuple[int, datetime]]:
    """(paper id, when) the reader saved or dismissed, newest first."""
    table = _pair(kind)
    q = (
        sa.select(table.c.paper_id, table.c.created_at)
        .where(table.c.user_id == user_id)
        .order_by(table.c.created_at.desc(), table.c.paper_id.desc())
    )
    return [(r.paper_id, r.created_at) for r in conn.execute(q)]


def marked_among(
    conn: sa.Connection, kind: str, user_id: int, paper_ids: Sequence[int]
) -> set[int]:
    """Which of these papers the reader saved (or dismissed)."""
    if not paper_ids:
        return set()
    table = _pair(kind)
    q = sa.select(table.c.paper_id).where(
        table.c.user_id == user_id, table.c.paper_id.in_(set(paper_ids))
    )
    return set(conn.execute(q).scalars())


def upvoted(conn: sa.Connection, user_id: int) -> list[tuple[int, datetime]]:
    """(paper id, when) the reader upvoted, newest first."""
    q = (
        sa.select(votes.c.paper_id, votes.c.created_at)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.created_at.desc(), votes.c.paper_id.desc())
    )
    return [(r.paper_id, r.created_at) for r in conn.execute(q)]


@dataclass(slots=True)
class Preferences:
    """What a reader keeps on the settings page, each list in the order they gave it."""

    topics: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    include_categories: list[str] = field(default_factory=list)
    exclude_categories: list[str] = field(default_factory=list)
    include_keywords: list[str] = field(default_factory=list)
    exclude_keywords: list[str] = field(default_factory=list)

    @property
    def has_interests(self) -> bool:
        """Whether anything here can start a model (topics, categories or authors)."""
        return bool(self.topics or self.categories or self.authors)


_FIELDS = {
    "topic": "topics",
    "category": "categories",
    "author": "authors",
    "include_category": "include_categories",
    "exclude_category": "exclude_categories",
    "include_keyword": "include_keywords",
    "exclude_keyword": "exclude_keywords",
}


def preferences(conn: sa.Connection, user_id: int) -> Preferences:
    """The reader's preferences (empty lists for a new reader)."""
    q = (
        sa.select(reader_preferences.c.kind, reader_preferences.c.value)
        .where(reader_preferences.c.user_id == user_id)
        .order_by(reader_preferences.c.kind, reader_preferences.c.position)
    )
    found = Preferences()
    for kind, value in conn.execute(q):
        getattr(found, _FIELDS[kind]).append(value)
    return found


def replace_preferences(conn: sa.Connection, user_id: int, prefs: Preferences) -> None:
    """Store exactly ``prefs`` (the settings form sends every list at once)."""
    conn.execute(sa.delete(reader_preferences).where(reader_preferences.c.user_id == user_id))
    rows = [
        {"user_id": user_id, "kind": kind, "value": value, "position": n}
        for kind, name in _FIELDS.items()
        for n, value in enumerate(dict.fromkeys(getattr(prefs, name)))
    ]
    if rows:
        conn.execute(reader_preferences.insert(), rows)


def vectors_of(
    conn: sa.Connection, paper_ids: Sequence[int], model_id: str
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of those papers that have a vector of ``model_id``, in id order."""
    if not paper_ids:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    e = paper_embeddings.c
    q = (
        sa.select(e.paper_id, e.vector)
        .where(e.model_id == model_id, e.paper_id.in_(set(paper_ids)))
        .order_by(e.paper_id)
    )
    rows = conn.execute(q).all()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 0), dtype=np.float32)
    ids = np.fromiter((r.paper_id for r in rows), dtype=np.int64, count=len(rows))
    return ids, np.vstack([r.vector for r in rows]).astype(np.float32)


def sample_ids(conn: sa.Connection, model_id: str, *, size: int, seed: int) -> list[int]:
    """About ``size`` ids with vectors of ``model_id``, drawn uniformly and reproducibly by
    ``seed`` from the id range (no full scan: the random negatives of one reader stay the
    same between updates, and drawing them costs one indexed read)."""
    bounds = conn.execute(sa.select(sa.func.min(papers.c.id), sa.func.max(papers.c.id))).one()
    if bounds[0] is None:
        return []
    rng = np.random.default_rng(seed)
    picks = rng.integers(bounds[0], bounds[1] + 1, size=size * 2)
    e = paper_embeddings.c
    q = sa.select(e.paper_id).where(e.model_id == model_id, e.paper_id.in_(set(picks.tolist())))
    return sorted(conn.execute(q).scalars())[: size * 2][:size]


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A reader's stored weights and how many examples made them."""

    model_id: str
    weights: np.ndarray
    bias: float
    positives: int
    negatives: int
    updated_at: datetime


def load_model(conn: sa.Connection, user_id: int) -> StoredModel | None:
    """The reader's stored weights, if any."""
    row = conn.execute(sa.select(reader_models).where(reader_models.c.user_id == user_id)).first()
    if row is None:
        return None
    weights = np.frombuffer(row.weights, dtype=np.float32).copy()
    return StoredModel(
        row.model_id, weights, row.bias, row.positives, row.negatives, row.updated_at
    )


def save_model(conn: sa.Connection, user_id: int, model: StoredModel | None) -> None:
    """Replace the reader's weights (None: forget them)."""
    conn.execute(sa.delete(reader_models).where(reader_models.c.user_id == user_id))
    if model is None:
        return
    conn.execute(
        reader_models.insert(),
        {
            "user_id": user_id,
            "model_id": model.model_id,
            "weights": np.asarray(model.weights, dtype=np.float32).tobytes(),
            "bias": model.bias,
            "positives": model.positives,
            "negatives": model.negatives,
            "updated_at": model.updated_at,
        },
    )


def papers_by_authors(conn: sa.Connection, names: Sequence[str], *, limit: int) -> list[int]:
    """The newest papers with an author named exactly (case-insensitively) as one of these."""
    if not names:
        return []
    wanted = [n.lower() for n in names]
    q = (
        sa.select(paper_authors.c.paper_id)
        .join(papers, papers.c.id == paper_authors.c.paper_id)
        .where(sa.func.lower(paper_authors.c.name).in_(wanted))
        .group_by(paper_authors.c.paper_id)
        .order_by(sa.func.max(papers.c.published_at).desc().nulls_last())
        .limit(limit)
    )
    return list(conn.execute(q).scalars())


def papers_in_categories(
    conn: sa.Connection, categories: Sequence[str], *, limit: int
) -> list[int]:
    """The newest papers in any of these arXiv categories (``cs`` means every cs.*)."""
    if not categories:
        return []
    q = (
        sa.select(papers.c.id)
        .where(_in_categories(categories))
        .order_by(papers.c.published_at.desc().nulls_last(), papers.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(q).scalars())


def _in_categories(categories: Sequence[str]) -> sa.ColumnElement[bool]:
    cat = sa.func.lower(paper_categories.c.category)
    wanted = [c.lower() for c in categories]
    match = sa.or_(cat.in_(wanted), *(cat.startswith(f"{c}.", autoescape=True) for c in wanted))
    return sa.exists().where(paper_categories.c.paper_id == papers.c.id, match)


def arrivals(conn: sa.Connection, since: datetime, *, limit: int) -> list[int]:
    """Papers added to this instance since ``since`` (by import or sync), newest first."""
    q = (
        sa.select(papers.c.id)
        .where(papers.c.created_at >= since)
        .order_by(papers.c.created_at.desc(), papers.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(q).scalars())


def delete_reader_data(conn: sa.Connection, user_id: int) -> None:
    """Forget a reader's saves, dismissals, preferences and model (not their account)."""
    for table in (saves, dismissals, reader_preferences, reader_models):
        conn.execute(sa.delete(table).where(table.c.user_id == user_id))


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """What ranking needs of a candidate (the full Paper is read for the shown ones only)."""

    id: int
    title: str
    authors: tuple[str, ...]
    published_at: datetime | None
    upvotes: int


def paper_facts(conn: sa.Connection, paper_ids: Sequence[int]) -> dict[int, PaperFacts]:
    """Titles, authors, dates and upvotes (imported + cast here) of these papers."""
    if not paper_ids:
        return {}
    wanted = set(paper_ids)
    names: dict[int, list[str]] = {}
    q = (
        sa.select(paper_authors.c.paper_id, paper_authors.c.name)
        .where(paper_authors.c.paper_id.in_(wanted))
        .order_by(paper_authors.c.paper_id, paper_authors.c.position)
    )
    for pid, name in conn.execute(q):
        names.setdefault(pid, []).append(name)
    local = (
        sa.select(votes.c.paper_id, sa.func.count().label("n"))
        .where(votes.c.paper_id.in_(wanted))
        .group_by(votes.c.paper_id)
    )
    cast = {r.paper_id: r.n for r in conn.execute(local)}
    rows = conn.execute(
        sa.select(
            papers.c.id, papers.c.title, papers.c.published_at, papers.c.imported_upvotes
        ).where(papers.c.id.in_(wanted))
    )
    return {
        r.id: PaperFacts(
            r.id,
            r.title,
            tuple(names.get(r.id, ())),
            r.published_at,
            r.imported_upvotes + cast.get(r.id, 0),
        )
        for r in rows
    }


def delete_account(conn: sa.Connection, user_id: int) -> bool:
    """Delete a user row; votes, comments, saves, collections… go with it (ON DELETE
    CASCADE), features they submitted stay, unattributed (SET NULL)."""
    done = conn.execute(sa.delete(users).where(users.c.id == user_id))
    return bool(done.rowcount)


def readers_of_subscriptions(
    conn: sa.Connection, subscription_ids: Sequence[int]
) -> dict[int, int]:
    """Subscription id → user id, for subscribers whose account (linked, or with the same
    address) has a fitted reader model: their digest's personal section comes from it."""
    if not subscription_ids:
        return {}
    account = sa.or_(
        users.c.id == subscriptions.c.user_id,
        sa.func.lower(users.c.email) == subscriptions.c.email,
    )
    q = (
        sa.select(subscriptions.c.id, users.c.id.label("user_id"))
        .join(users, account)
        .join(reader_models, reader_models.c.user_id == users.c.id)
        .where(subscriptions.c.id.in_(subscription_ids))
        .order_by(subscriptions.c.id, users.c.id)
    )
    found: dict[int, int] = {}
    for row in conn.execute(q):
        found.setdefault(row.id, row.user_id)
    return found
