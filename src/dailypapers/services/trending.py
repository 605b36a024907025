"""Trending, meaning "hot now": the one scorer of the pages, the JSON API, the CLI and feeds.

    score = upvotes / (age_in_days + 2) ^ 1.5

`age_in_days` is a true age: whole days from the day a paper was first featured here to
today (UTC, from the runtime's clock). It is counted from the *first* feature so that
featuring an old paper again does not make it new. The papers ranked are those first
featured in the window: the last `trending_window_days` days up to today. When nothing was
featured in it (a stale instance), the most recent window that has papers is ranked instead
and the page says so, with that window's dates; ages stay counted to today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from dailypapers.models import FeedEntry
from dailypapers.store import features

GRAVITY = 1.5
FORMULA = f"score = upvotes / (age_in_days + 2) ^ {GRAVITY}"
DEFAULT_WINDOW_DAYS = 7


def score(upvotes: int, age_days: int) -> float:
    """The trending score of a paper with these upvotes, first featured `age_days` ago."""
    return upvotes / (max(age_days, 0) + 2) ** GRAVITY


@dataclass(slots=True)
class TrendingEntry:
    """A feed entry (the paper's first feature) with its true age and its score."""

    entry: FeedEntry
    age_days: int
    score: float


@dataclass(slots=True)
class Trending:
    """The ranked papers and the window they come from: `start`..`end` is the window ending
    today, or, when `stale`, the most recent window in which anything was featured."""

    entries: list[TrendingEntry]
    start: date
    end: date
    today: date
    window_days: int

    @property
    def stale(self) -> bool:
        """Whether nothing was featured in the window ending today."""
        return self.end < self.today


def trending(engine: sa.Engine, *, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> Trending:
    """Papers first featured in the window ending today (else the latest window with any),
    best score first."""
    with engine.connect() as conn:
        newest = features.latest_first_feature_date(conn, on_or_before=today)
        window_start = today - timedelta(days=window_days - 1)
        end = today if newest is None or newest >= window_start else newest
        start = end - timedelta(days=window_days - 1)
        entries = features.first_featured_between(conn, start, end) if newest else []
    ranked = [_scored(e, e.feature_date, today) for e in entries]
    return Trending(_sorted(ranked), start, end, today, window_days)


def rank(engine: sa.Engine, entries: Iterable[FeedEntry], *, today: date) -> list[TrendingEntry]:
    """Any feed entries (a week's, a month's) ranked by the same score, one entry per paper,
    each paper's age counted from its first feature to today."""
    by_paper: dict[int, FeedEntry] = {}
    for e in entries:
        by_paper.setdefault(e.paper.id, e)
    with engine.connect() as conn:
        first = features.first_feature_dates(conn, by_paper)
    return _sorted(
        [_scored(e, first.get(pid, e.feature_date), today) for pid, e in by_paper.items()]
    )


def _scored(entry: FeedEntry, first_featured: date, today: date) -> TrendingEntry:
    age = max((today - first_featured).days, 0)
    return TrendingEntry(entry, age, score(entry.paper.upvotes, age))


def _sorted(ranked: list[TrendingEntry]) -> list[TrendingEntry]:
    """Best score first; ties by upvotes, then newest submission, so the order is stable."""
    return sorted(
        ranked,
        key=lambda t: (t.score, t.entry.paper.upvotes, t.entry.submitted_at),
        reverse=True,
    )
