"""The daily feed: featured papers by day/week/month, trending, counts.

Trending is deliberately simple and shown on the page:

    score = upvotes / (age_in_days + 2) ** GRAVITY

where age is counted from the paper's most recent feature date to the reference day
(today, or the newest feed day if the feed is older), over the last TRENDING_WINDOW_DAYS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from dailypapers.models import FeedEntry
from dailypapers.store import features, papers, users
from dailypapers.store.community import count_votes


def featured(engine: sa.Engine, start: date, end: date) -> list[FeedEntry]:
    """Papers featured between two dates inclusive, best first."""
    with engine.connect() as conn:
        return features.featured_between(conn, start, end)


def latest_date(engine: sa.Engine, *, on_or_before: date | None = None) -> date | None:
    """The latest day that has featured papers."""
    with engine.connect() as conn:
        return features.latest_feature_date(conn, on_or_before=on_or_before)


GRAVITY = 1.5
TRENDING_WINDOW_DAYS = 14
TRENDING_FORMULA = f"score = upvotes / (age_in_days + 2) ^ {GRAVITY}"


@dataclass(slots=True)
class TrendingEntry:
    """A feed entry with its trending score and the age that went into it."""

    entry: FeedEntry
    age_days: int
    score: float


def trending(
    engine: sa.Engine, *, today: date | None = None, limit: int = 50
) -> list[TrendingEntry]:
    """Recently featured papers ranked by upvotes decayed by age (formula above)."""
    reference = today or datetime.now(UTC).date()
    newest = latest_date(engine, on_or_before=reference)
    if newest is None:
        return []
    start = newest - timedelta(days=TRENDING_WINDOW_DAYS - 1)
    latest_by_paper: dict[int, FeedEntry] = {}
    for e in featured(engine, start, newest):
        seen = latest_by_paper.get(e.paper.id)
        if seen is None or e.feature_date > seen.feature_date:
            latest_by_paper[e.paper.id] = e
    ranked = [_score(e, newest) for e in latest_by_paper.values()]
    ranked.sort(key=lambda t: (t.score, t.entry.paper.upvotes), reverse=True)
    return ranked[:limit]


def _score(entry: FeedEntry, reference: date) -> TrendingEntry:
    age = (reference - entry.feature_date).days
    return TrendingEntry(entry, age, entry.paper.upvotes / (age + 2) ** GRAVITY)


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
        "num_comments": entry.num_comments,
        "feature_date": entry.feature_date,
        "submitted_by": entry.submitted_by,
        "published_at": p.published_at,
        "code_url": p.code_url,
        "project_url": p.project_url,
        "arxiv_url": p.arxiv_url,
        "pdf_url": p.pdf_url,
    }
