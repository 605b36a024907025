"""Compose a subscriber's digest for a period: top papers, then papers for their interests.

Personal ranking uses a plain keyword overlap of the subscriber's topics, authors and
categories with each paper's title, abstract, authors and categories. It is the fallback
until `dailypapers.search.searcher.HybridSearcher` lands; the candidates are the period's
featured papers (one store query per run), so scoring them in memory keeps a run over
thousands of subscribers to a single read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.models import Paper
from dailypapers.services import feed
from dailypapers.store.subscriptions import Interests, Subscription

Cadence = Literal["daily", "weekly"]
CADENCES: tuple[Cadence, ...] = ("daily", "weekly")
_WORD = re.compile(r"[a-z0-9]+")
TITLE_WEIGHT, ABSTRACT_WEIGHT, AUTHOR_WEIGHT, CATEGORY_WEIGHT = 3.0, 1.0, 3.0, 1.0


@dataclass(frozen=True, slots=True)
class Period:
    """The days a digest covers: the day ending on `end` (daily) or the 7 days (weekly)."""

    cadence: Cadence
    start: date
    end: date

    @property
    def key(self) -> str:
        """The idempotency key of a delivery: one digest per subscription and key."""
        return f"{self.cadence}:{self.end.isoformat()}"


def period_for(cadence: str, day: date) -> Period:
    """The period of `cadence` that ends on `day`."""
    if cadence == "daily":
        return Period("daily", day, day)
    if cadence == "weekly":
        return Period("weekly", day - timedelta(days=6), day)
    raise InputError(f"unknown cadence {cadence!r}: choose daily or weekly")


def _words(text: str) -> set[str]:
    """Lower-cased words with a plain plural 's' dropped, so 'agents' matches 'agent'."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.lower())}


@dataclass(slots=True)
class Candidate:
    """A featured paper with its words pre-split once per run."""

    paper: Paper
    title_words: set[str]
    text_words: set[str]
    authors: set[str]
    categories: set[str]

    @classmethod
    def of(cls, paper: Paper) -> Candidate:
        """Index one paper for overlap scoring."""
        title = _words(paper.title)
        return cls(
            paper=paper,
            title_words=title,
            text_words=title | _words(paper.abstract),
            authors={a.casefold() for a in paper.authors},
            categories={c.casefold() for c in paper.categories},
        )


def load_candidates(engine: sa.Engine, period: Period) -> list[Candidate]:
    """The period's featured papers, once each, most upvoted first."""
    seen: dict[int, Candidate] = {}
    for entry in feed.featured(engine, period.start, period.end):
        if entry.paper.id not in seen:
            seen[entry.paper.id] = Candidate.of(entry.paper)
    return sorted(seen.values(), key=lambda c: c.paper.upvotes, reverse=True)


def overlap_score(candidate: Candidate, interests: Interests) -> float:
    """Keyword-overlap relevance: a topic counts when all its words occur (more in the title)."""
    score = 0.0
    for topic in interests.topics:
        words = _words(topic)
        if words and words <= candidate.title_words:
            score += TITLE_WEIGHT
        elif words and words <= candidate.text_words:
            score += ABSTRACT_WEIGHT
    score += AUTHOR_WEIGHT * sum(a.casefold() in candidate.authors for a in interests.authors)
    score += CATEGORY_WEIGHT * sum(
        c.casefold() in candidate.categories for c in interests.categories
    )
    return score


@dataclass(slots=True)
class Digest:
    """One subscriber's digest: three disjoint sections, each possibly empty."""

    subscription: Subscription
    period: Period
    top: list[Paper] = field(default_factory=list)
    personal: list[Paper] = field(default_factory=list)
    followed: list[Paper] = field(default_factory=list)

    @property
    def papers(self) -> list[Paper]:
        """Every paper in the digest, in reading order."""
        return [*self.top, *self.personal, *self.followed]

    @property
    def is_empty(self) -> bool:
        """Nothing new this period: such a digest is not sent."""
        return not self.papers


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many papers each section may hold."""

    top: int
    personal: int


def compose(
    subscription: Subscription,
    period: Period,
    candidates: Iterable[Candidate],
    *,
    already_sent: set[int],
    sizes: Sizes,
) -> Digest:
    """The digest for one subscriber, skipping papers any earlier digest of theirs carried."""
    fresh = [c for c in candidates if c.paper.id not in already_sent]
    top, rest = fresh[: sizes.top], fresh[sizes.top :]
    interests = subscription.interests
    followed_names = {a.casefold() for a in interests.authors}
    followed = [c for c in rest if c.authors & followed_names][: sizes.personal]
    shown = {c.paper.id for c in followed}
    scored = [(overlap_score(c, interests), c) for c in rest if c.paper.id not in shown]
    scored = [(s, c) for s, c in scored if s > 0]
    scored.sort(key=lambda sc: (sc[0], sc[1].paper.upvotes), reverse=True)
    return Digest(
        subscription=subscription,
        period=period,
        top=[c.paper for c in top],
        personal=[c.paper for _, c in scored[: sizes.personal]],
        followed=[c.paper for c in followed],
    )
