"""The daily feed: featured papers by day/week/month, counts (trending: services.trending)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from dailypapers import periods
from dailypapers.models import FeedEntry
from dailypapers.store import features, papers, users
from dailypapers.store.community import count_votes


def featured(engine: sa.Engine, start: date, end: date) -> list[FeedEntry]:
    """Papers featured between two dates inclusive, best first."""
    with engine.connect() as conn:
        return features.featured_between(conn, start, end)


def latest_date(engine: sa.Engine, *, on_or_before: date | None = None) -> date | None:
    """The latest day that has featured papers, on or before the given day, else never after
    `periods.latest_feature_day` (a feature dated 9999-12-31 must not pin every feed)."""
    limit = on_or_before if on_or_before is not None else periods.latest_feature_day()
    with engine.connect() as conn:
        return features.latest_feature_date(conn, on_or_before=limit)


def counts(engine: sa.Engine) -> dict[str, int]:
    """How many papers, featured entries, users and votes the instance holds."""
    with engine.connect() as conn:
        return {
            "papers": papers.count_papers(conn),
            "featured": features.count_features(conn),
            "users": users.count_users(conn),
            "votes": count_votes(conn),
        }


def entry_summary(entry: FeedEntry) -> dict[str, Any]:
    """A compact, JSON-ready view of a feed entry (CLI `papers --json`)."""
    p = entry.paper
    return {
        "arxiv_id": p.arxiv_id,
        "title": p.title,
        "authors": p.authors,
        "upvotes": p.upvotes,
        "num_comments": entry.local_comments,
        "imported_comments": entry.imported_comments,
        "feature_date": entry.feature_date,
        "submitted_by": entry.submitted_by,
        "published_at": p.published_at,
        "code_url": p.code_url,
        "project_url": p.project_url,
        "arxiv_url": p.arxiv_url,
        "pdf_url": p.pdf_url,
    }
