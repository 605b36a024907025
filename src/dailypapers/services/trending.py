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
    best score first: `trending_features`' ranking, with each feature's feed entry."""
    with engine.connect() as conn:
        start, end = _window(conn, today, window_days)
        ranked = _ranked(features.trend_candidates(conn, start, end, first_only=True), today)
        found = features.features_by_key(conn, [(r.paper_id, r.feature_date) for r in ranked])
    by_key = {(e.paper.id, e.feature_date): e for e in found}
    entries = [
        TrendingEntry(by_key[r.paper_id, r.feature_date], r.age_days, r.score)
        for r in ranked
        if (r.paper_id, r.feature_date) in by_key
    ]
    return Trending(entries, start, end, today, window_days)


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
    """Best score first; ties by upvotes, then newest submission, so the order is stable.
    A paper's age is whole days from its first feature to today (never negative)."""
    order: list[tuple[tuple[float, int, datetime], RankedFeature]] = []
    for c in candidates:
        age = max((today - c.first_day).days, 0)
        ranked = RankedFeature(
            c.paper_id, c.feature_date, c.submitted_by, c.has_arxiv_id, age, score(c.upvotes, age)
        )
        order.append(((ranked.score, c.upvotes, c.submitted_at), ranked))
    order.sort(key=lambda pair: pair[0], reverse=True)
    return [ranked for _, ranked in order]
