"""Compose a subscriber's digest for a period: top papers, then papers for their interests.

The candidates are the period's featured papers (one store query per run). The personal
section ranks them with the hybrid searcher: one search per topic and per category, and the
nearest neighbours of each paper the subscriber upvoted (when vectors exist), fused with RRF.
Subscribers share topics, so every search is made once per run and cached: 10,000
subscribers with a few dozen distinct interests cost a few dozen searches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.models import Paper, SearchFilters
from dailypapers.search.fusion import rrf
from dailypapers.search.searcher import MAX_LIMIT, HybridSearcher
from dailypapers.services import feed
from dailypapers.services.search import SearchRequest, search_papers, similar_papers
from dailypapers.store.subscriptions import Cadence, Interests, Subscription

Ranking = list[tuple[int, float]]
LOOKBACK = timedelta(days=28)
"""How long before a period its featured papers were published: 99% of the bundled sample's
features came within four weeks of arXiv publication. Searches are limited to this window so
that a topic's best matches are this period's papers, not the whole archive's."""
SIMILAR_DEPTH = 50
"""Neighbours asked for per upvoted paper, before keeping the period's papers among them."""


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


@dataclass(slots=True)
class Candidate:
    """A featured paper of the period, with its authors folded once per run."""

    paper: Paper
    authors: set[str]

    @classmethod
    def of(cls, paper: Paper) -> Candidate:
        """Prepare one paper for matching followed authors."""
        return cls(paper=paper, authors={a.casefold() for a in paper.authors})


def load_candidates(engine: sa.Engine, period: Period) -> list[Candidate]:
    """The period's featured papers, once each, most upvoted first."""
    seen: dict[int, Candidate] = {}
    for entry in feed.featured(engine, period.start, period.end):
        if entry.paper.id not in seen:
            seen[entry.paper.id] = Candidate.of(entry.paper)
    return sorted(seen.values(), key=lambda c: c.paper.upvotes, reverse=True)


class InterestRanker:
    """Ranks a period's candidates for a subscriber's topics, categories and upvotes, with
    every search made once per run however many subscribers share it."""

    def __init__(
        self, searcher: HybridSearcher, period: Period, candidates: Sequence[Candidate]
    ) -> None:
        self.searcher = searcher
        self.period = period
        self.candidates = list(candidates)
        self._by_id = {c.paper.id: c for c in self.candidates}
        window = SearchFilters(since=period.start - LOOKBACK, until=period.end, featured_only=True)
        self._window = SearchRequest(filters=window, per_page=MAX_LIMIT)
        self._cache: dict[tuple[str, str | int], Ranking] = {}

    def rank(self, interests: Interests, upvoted: Sequence[int] = ()) -> list[Candidate]:
        """The candidates matching any interest, best first (RRF over the interests' lists)."""
        lists = [
            *(self._topic(t.casefold().strip()) for t in interests.topics if t.strip()),
            *(self._category(c.strip()) for c in interests.categories if c.strip()),
            *(self._liked(pid) for pid in upvoted),
        ]
        return [self._by_id[pid] for pid, _ in rrf([r for r in lists if r])]

    def _topic(self, text: str) -> Ranking:
        return self._cached(
            ("topic", text), lambda: self._search(replace(self._window, query=text))
        )

    def _category(self, name: str) -> Ranking:
        filters = replace(self._window.filters, categories=(name,))
        request = replace(self._window, filters=filters, sort="upvotes")
        return self._cached(("category", name), lambda: self._search(request))

    def _liked(self, paper_id: int) -> Ranking:
        return self._cached(
            ("liked", paper_id), lambda: similar_papers(self.searcher, paper_id, k=SIMILAR_DEPTH)
        )

    def _search(self, request: SearchRequest) -> list[Paper]:
        """The hits' papers; none for a topic the searcher cannot read (say ``year:20``),
        which must not stop everyone else's digest."""
        try:
            return [hit.paper for hit in search_papers(self.searcher, request).hits]
        except InputError:
            return []

    def _cached(self, key: tuple[str, str | int], papers: Callable[[], list[Paper]]) -> Ranking:
        if key not in self._cache:
            self._cache[key] = self._in_period(papers())
        return self._cache[key]

    def _in_period(self, papers: Sequence[Paper]) -> Ranking:
        """The period's candidates among the papers, in their order (scores are ranks)."""
        kept = [p.id for p in papers if p.id in self._by_id]
        return [(pid, -float(rank)) for rank, pid in enumerate(kept)]


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
    ranker: InterestRanker,
    *,
    already_sent: set[int],
    upvoted: Sequence[int] = (),
    sizes: Sizes,
    personal_order: Sequence[int] | None = None,
) -> Digest:
    """The digest for one subscriber, skipping papers any earlier digest of theirs carried;
    ``personal_order`` (paper ids, best first: the reader's model) replaces the interest
    search for the personal section when given."""
    fresh = [c for c in ranker.candidates if c.paper.id not in already_sent]
    top, rest = fresh[: sizes.top], fresh[sizes.top :]
    interests = subscription.interests
    followed_names = {a.casefold() for a in interests.authors}
    followed = [c for c in rest if c.authors & followed_names][: sizes.personal]
    taken = already_sent | {c.paper.id for c in (*top, *followed)}
    if personal_order is not None:
        by_id = {c.paper.id: c for c in ranker.candidates}
        ranked = [by_id[pid] for pid in personal_order if pid in by_id]
    else:
        ranked = ranker.rank(interests, upvoted)
    personal = [c for c in ranked if c.paper.id not in taken]
    return Digest(
        subscription=subscription,
        period=ranker.period,
        top=[c.paper for c in top],
        personal=[c.paper for c in personal[: sizes.personal]],
        followed=[c.paper for c in followed],
    )
