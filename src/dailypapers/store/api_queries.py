"""Queries behind the Hugging Face-compatible API: paged features, latest features, papers by
date, avatars. Only papers with an arXiv id are listed (HF's ids are arXiv ids).

Feed entries are loaded by `features.features_by_key` for exactly the (paper, date) keys of
a page, with the same row-to-entry code as the feeds, so comment counts and submitter names
are computed in one place only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

import sqlalchemy as sa

from dailypapers.models import FeedEntry
from dailypapers.safety import http_url
from dailypapers.store.features import features_by_key
from dailypapers.store.schema import features, papers, users

FeatureKey = tuple[int, date]


def feature_page(
    conn: sa.Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    submitter: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[FeedEntry]:
    """Features of papers with an arXiv id, in an optional date range and by an optional
    submitter, newest submission first."""
    q = (
        sa.select(features.c.paper_id, features.c.feature_date)
        .join(papers, papers.c.id == features.c.paper_id)
        .where(papers.c.arxiv_id.is_not(None))
    )
    if start is not None:
        q = q.where(features.c.feature_date >= start)
    if end is not None:
        q = q.where(features.c.feature_date <= end)
    if submitter is not None:
        q = q.join(users, users.c.id == features.c.submitted_by_id).where(
            users.c.username == submitter
        )
    q = q.order_by(features.c.submitted_at.desc(), features.c.id.desc())
    keys = [(r.paper_id, r.feature_date) for r in conn.execute(q.offset(offset).limit(limit))]
    return _entries(conn, keys)


def latest_features(conn: sa.Connection, paper_ids: Collection[int]) -> dict[int, FeedEntry]:
    """Each paper's most recent feature, for the papers that were ever featured."""
    if not paper_ids:
        return {}
    q = (
        sa.select(features.c.paper_id, sa.func.max(features.c.feature_date).label("day"))
        .where(features.c.paper_id.in_(set(paper_ids)))
        .group_by(features.c.paper_id)
    )
    keys = [(r.paper_id, r.day) for r in conn.execute(q)]
    return {e.paper.id: e for e in _entries(conn, keys)}


def _entries(conn: sa.Connection, keys: Sequence[FeatureKey]) -> list[FeedEntry]:
    """The feed entries for (paper id, feature date) keys, in the order of the keys."""
    by_key = {(e.paper.id, e.feature_date): e for e in features_by_key(conn, keys)}
    return [by_key[k] for k in keys if k in by_key]


def paper_keys_by_date(
    conn: sa.Connection, *, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[datetime, int]]:
    """(published_at, id) of papers with an arXiv id and a date, newest first, after a key."""
    q = sa.select(papers.c.published_at, papers.c.id).where(
        papers.c.arxiv_id.is_not(None), papers.c.published_at.is_not(None)
    )
    if after is not None:
        when, pid = after
        q = q.where(
            sa.or_(
                papers.c.published_at < when,
                sa.and_(papers.c.published_at == when, papers.c.id < pid),
            )
        )
    q = q.order_by(papers.c.published_at.desc(), papers.c.id.desc()).limit(limit)
    return [(r.published_at, r.id) for r in conn.execute(q)]


def submitter_avatars(conn: sa.Connection, usernames: Collection[str]) -> dict[str, str | None]:
    """Avatar URL (or None) of each named user; FeedEntry carries names only."""
    if not usernames:
        return {}
    q = sa.select(users.c.username, users.c.avatar_url).where(users.c.username.in_(set(usernames)))
    return {r.username: http_url(r.avatar_url) for r in conn.execute(q)}
