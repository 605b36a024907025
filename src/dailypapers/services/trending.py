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
from datetime import date, datetime, timedelta

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
        start, end = _window(conn, today, window_days)
        entries = features.first_featured_between(conn, start, end)
    ranked = [_scored(e, e.feature_date, today) for e in entries]
    return Trending(_sorted(ranked), start, end, today, window_days)


def _window(conn: sa.Connection, today: date, window_days: int) -> tuple[date, date]:
    """The window ending today, or, when nothing was first featured in it, the most recent
    window in which something was (see the module docstring)."""
    newest = features.latest_first_feature_date(conn, on_or_before=today)
    window_start = today - timedelta(days=window_days - 1)
    end = today if newest is None or newest >= window_start else newest
    return end - timedelta(days=window_days - 1), end


@dataclass(frozen=True, slots=True)
class RankedFeature:
    """A feature in trending order, without its paper: what the JSON API pages by."""

    paper_id: int
    feature_date: date
    submitted_by: str | None
    has_arxiv_id: bool
    age_days: int
    score: float


def trending_features(
    engine: sa.Engine, *, today: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[RankedFeature]:
    """What `trending` ranks, in its order, read without building feed entries."""
    with engine.connect() as conn:
        start, end = _window(conn, today, window_days)
        candidates = features.trend_candidates(conn, start, end, first_only=True)
    return _ranked(candidates, today)


def rank_period(engine: sa.Engine, start: date, end: date, *, today: date) -> list[RankedFeature]:
    """The features of any span (a week's, a month's) ranked by the same score, one per
    paper (its latest in the span), each paper's age counted from its first feature to
    today."""
    with engine.connect() as conn:
        candidates = features.trend_candidates(conn, start, end)
    latest: dict[int, features.TrendCandidate] = {}
    for c in candidates:
        kept = latest.get(c.paper_id)
        if kept is None or c.submitted_at > kept.submitted_at:
            latest[c.paper_id] = c
    return _ranked(latest.values(), today)


def _ranked(candidates: Iterable[features.TrendCandidate], today: date) -> list[RankedFeature]:
    order: list[tuple[tuple[float, int, datetime], RankedFeature]] = []
    for c in candidates:
        age = _age(c.first_day, today)
        ranked = RankedFeature(
            c.paper_id, c.feature_date, c.submitted_by, c.has_arxiv_id, age, score(c.upvotes, age)
        )
        order.append((_order(ranked.score, c.upvotes, c.submitted_at), ranked))
    return [ranked for _, ranked in sorted(order, key=lambda pair: pair[0], reverse=True)]


def _age(first_featured: date, today: date) -> int:
    """Whole days from a paper's first feature to today (never negative)."""
    return max((today - first_featured).days, 0)


def _order(score: float, upvotes: int, submitted_at: datetime) -> tuple[float, int, datetime]:
    """The sort key, largest first: best score; ties by upvotes, then newest submission, so
    the order is stable."""
    return (score, upvotes, submitted_at)


def _scored(entry: FeedEntry, first_featured: date, today: date) -> TrendingEntry:
    age = _age(first_featured, today)
    return TrendingEntry(entry, age, score(entry.paper.upvotes, age))


def _sorted(ranked: list[TrendingEntry]) -> list[TrendingEntry]:
    """Best first (see `_order`)."""
    return sorted(
        ranked,
        key=lambda t: _order(t.score, t.entry.paper.upvotes, t.entry.submitted_at),
        reverse=True,
    )
