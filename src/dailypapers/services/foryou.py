"""The reader's own feed: signals (saves, dismissals, preferences), /for-you, `recommend`.

Every signal is written, then the reader's model is refitted at once (milliseconds; see
benchmarks/recommend_speed.py), so the next ranking already reflects it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from dailypapers.errors import InputError, NotFound
from dailypapers.models import Paper
from dailypapers.periods import PERIOD_KINDS, PeriodKind, containing, iso_week
from dailypapers.recommend.reader import Recommendation, Recommender, Update
from dailypapers.services import community, feed
from dailypapers.store import readers
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers

ARRIVAL_DAYS = 7
"""New arrivals: papers added (imported or synced) in the last week and not yet featured."""
ARRIVALS_SHOWN = 10
MAX_LIST = 200
MAX_PREFERENCE = 200
MAX_PREFERENCES = 50


def _require_paper(conn: sa.Connection, paper_id: int) -> Paper:
    found = get_papers(conn, [paper_id])
    if not found:
        raise NotFound(f"no paper with id {paper_id}")
    return found[0]


def set_saved(recommender: Recommender, *, user_id: int, paper_id: int, saved: bool) -> Update:
    """Put a paper on the reading list (or take it off), then refit."""
    return _mark(recommender, "save", user_id=user_id, paper_id=paper_id, on=saved)


def set_dismissed(
    recommender: Recommender, *, user_id: int, paper_id: int, dismissed: bool
) -> Update:
    """Mark a paper "not interested" (or undo it), then refit."""
    return _mark(recommender, "dismiss", user_id=user_id, paper_id=paper_id, on=dismissed)


def _mark(recommender: Recommender, kind: str, *, user_id: int, paper_id: int, on: bool) -> Update:
    with transaction(recommender.engine) as conn:
        _require_paper(conn, paper_id)
        if on:
            readers.add_mark(conn, kind, user_id, paper_id)
        else:
            readers.remove_mark(conn, kind, user_id, paper_id)
    return recommender.update(user_id)


def set_vote(
    recommender: Recommender, *, user_id: int, paper_id: int, up: bool
) -> community.VoteState:
    """Vote (or unvote) as community.set_vote does, then refit: an upvote is a signal too."""
    state = community.set_vote(recommender.engine, user_id=user_id, paper_id=paper_id, up=up)
    recommender.update(user_id)
    return state


def preferences(engine: sa.Engine, user_id: int) -> readers.Preferences:
    """The reader's topics, categories, followed authors and feed filters."""
    with engine.connect() as conn:
        return readers.preferences(conn, user_id)


def save_preferences(
    recommender: Recommender, *, user_id: int, prefs: readers.Preferences
) -> Update:
    """Replace the reader's preferences (checked: lengths, counts), then refit."""
    for name in readers.Preferences.__dataclass_fields__:
        values = getattr(prefs, name)
        if len(values) > MAX_PREFERENCES:
            raise InputError(f"at most {MAX_PREFERENCES} {name.replace('_', ' ')}, please")
        for value in values:
            if len(value) > MAX_PREFERENCE:
                raise InputError(f"{value[:40]!r}… is longer than {MAX_PREFERENCE} characters")
    with transaction(recommender.engine) as conn:
        readers.replace_preferences(conn, user_id, prefs)
    return recommender.update(user_id)


@dataclass(slots=True)
class ForYouPage:
    """The reader's ranking of one period's featured papers, plus new arrivals."""

    period: PeriodKind
    start: date
    end: date
    items: list[Recommendation]
    arrivals: list[Recommendation]
    saved: set[int] = field(default_factory=set)
    voted: set[int] = field(default_factory=set)
    learned: bool = False

    @property
    def label(self) -> str:
        """How the page names its period."""
        if self.period == "day":
            return self.start.strftime("%A, %-d %B %Y")
        if self.period == "week":
            return f"Week {iso_week(self.start)}"
        return self.start.strftime("%B %Y")


def _kind(text: str) -> PeriodKind:
    for kind in PERIOD_KINDS:
        if text == kind:
            return kind
    raise InputError(f"unknown period {text!r}: expected day, week or month")


def for_you(
    recommender: Recommender,
    *,
    user_id: int,
    period: str = "day",
    day: date | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> ForYouPage:
    """The period's featured papers ranked for the reader, and the best new arrivals."""
    engine = recommender.engine
    reference = day or feed.latest_date(engine) or datetime.now(UTC).date()
    kind = _kind(period)
    start, end = (p := containing(kind, reference)).start, p.end
    featured = [e.paper.id for e in feed.featured(engine, start, end)]
    now = now or datetime.now(UTC)
    items = recommender.rank(user_id, featured, now=now)[:limit]
    with engine.connect() as conn:
        recent = readers.arrivals(conn, now - timedelta(days=ARRIVAL_DAYS), limit=MAX_LIST * 10)
        model = readers.load_model(conn, user_id)
    fresh = [i for i in recent if i not in set(featured)]
    arrivals = recommender.rank(user_id, fresh, now=now)[:ARRIVALS_SHOWN]
    shown = [r.paper.id for r in items + arrivals]
    with engine.connect() as conn:
        saved = readers.marked_among(conn, "save", user_id, shown)
    voted = community.voted_among(engine, user_id, shown)
    return ForYouPage(kind, start, end, items, arrivals, saved, voted, bool(model))


def recommend(
    recommender: Recommender,
    *,
    user_id: int,
    since: date | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> list[Recommendation]:
    """What `dailypapers recommend` prints: papers featured since ``since`` (default: the
    latest feed day) and papers added since then, ranked for the reader."""
    engine = recommender.engine
    now = now or datetime.now(UTC)
    first = since or feed.latest_date(engine) or now.date()
    last = max(feed.latest_date(engine) or first, first)
    featured = [e.paper.id for e in feed.featured(engine, first, last)]
    with engine.connect() as conn:
        start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        added = readers.arrivals(conn, start, limit=MAX_LIST * 10)
    return recommender.rank(user_id, [*featured, *added], now=now)[:limit]


def reading_list(engine: sa.Engine, user_id: int) -> list[tuple[Paper, datetime]]:
    """The reader's saved papers with when they saved them, newest first."""
    return _listed(engine, "save", user_id)


def dismissed(engine: sa.Engine, user_id: int) -> list[tuple[Paper, datetime]]:
    """Papers the reader marked "not interested", newest first (so they can undo it)."""
    return _listed(engine, "dismiss", user_id)


def _listed(engine: sa.Engine, kind: str, user_id: int) -> list[tuple[Paper, datetime]]:
    with engine.connect() as conn:
        marks = readers.marked(conn, kind, user_id)
        by_id = {p.id: p for p in get_papers(conn, [p for p, _ in marks])}
    return [(by_id[p], when) for p, when in marks if p in by_id]
