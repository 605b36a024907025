"""Paper pages, profiles and feed pages: one call per page, plain dataclasses back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from dailypapers.errors import NotFound
from dailypapers.models import FeedEntry, Paper
from dailypapers.paper_paths import slug_key
from dailypapers.periods import Period, containing
from dailypapers.search.searcher import HybridSearcher
from dailypapers.services import feed, feed_filters, search
from dailypapers.services.community import Comment, comments_for
from dailypapers.store import community, features, readers, users
from dailypapers.store.papers import get_papers, paper_for_title_key, paper_id_for_arxiv
from dailypapers.store.users import User

SIMILAR_PAPERS = 5


@dataclass(slots=True)
class PaperPage:
    """Everything the paper page shows, for the viewer who asked."""

    paper: Paper
    featured_on: list[date]
    comments: list[Comment]
    similar: list[Paper]
    voted: bool = False
    claim: str | None = None
    approved_authors: list[str] = field(default_factory=list)
    imported_comments: int = 0  # made on Hugging Face, shown as such, never mixed in


def paper_for_slug(engine: sa.Engine, slug: str) -> tuple[int, str | None]:
    """(id, arXiv id) of the paper a `/papers/t/<slug>` URL names; NotFound otherwise."""
    with engine.connect() as conn:
        found = paper_for_title_key(conn, slug_key(slug)) if slug_key(slug) else None
    if found is None:
        raise NotFound(f"no paper titled {slug_key(slug)!r} here")
    return found


def resolve_paper_id(
    engine: sa.Engine, *, arxiv_id: str | None = None, pid: int | None = None
) -> int:
    """The stored id of a paper given by arXiv id or internal id; NotFound otherwise."""
    with engine.connect() as conn:
        if arxiv_id is not None:
            found = paper_id_for_arxiv(conn, arxiv_id)
        else:
            found = pid if pid is not None and get_papers(conn, [pid]) else None
    if found is None:
        raise NotFound(f"no paper {arxiv_id or pid} here")
    return found


def paper_page(
    engine: sa.Engine,
    paper_id: int,
    *,
    viewer: User | None,
    searcher: HybridSearcher,
) -> PaperPage:
    """The paper, its feature dates, comments (hidden ones for curators), and the papers
    nearest in meaning ([] until vectors are computed with `dailypapers reindex`)."""
    curator = viewer is not None and viewer.is_curator
    with engine.connect() as conn:
        found = get_papers(conn, [paper_id])
        if not found:
            raise NotFound(f"no paper with id {paper_id}")
        page = PaperPage(
            paper=found[0],
            featured_on=features.feature_dates(conn, paper_id),
            imported_comments=features.imported_comment_count(conn, paper_id),
            comments=[],
            similar=[],
            approved_authors=[
                c.username for c in community.claims(conn, status="approved", paper_id=paper_id)
            ],
        )
        if viewer is not None:
            page.voted = bool(community.voted_papers(conn, viewer.id, [paper_id]))
            page.claim = community.claim_status(conn, viewer.id, paper_id)
    page.comments = comments_for(engine, paper_id, include_hidden=curator)
    page.similar = search.similar_papers(searcher, paper_id, k=SIMILAR_PAPERS)
    return page


PROFILE_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Dated:
    """A paper and when the member acted on it (submitted it, upvoted it)."""

    paper: Paper
    when: datetime


@dataclass(slots=True)
class Listing:
    """One page of a long list, with how many items there are in all."""

    items: list[Dated]
    total: int
    page: int
    pages: int


@dataclass(slots=True)
class Profile:
    """A member's page: who they are, and a page each of the papers they submitted and
    upvoted (with when), and the papers they authored."""

    user: User
    submitted: Listing
    upvoted: Listing
    claimed: list[Paper]


def profile(
    engine: sa.Engine, username: str, *, submitted_page: int = 1, upvoted_page: int = 1
) -> Profile:
    """The profile of a user by username; NotFound if there is none."""
    size = PROFILE_PAGE_SIZE
    with engine.connect() as conn:
        user = users.find_user(conn, username)
        if user is None or user.username.lower() != username.lower():
            raise NotFound(f"no user {username!r}")
        approved = community.claims(conn, status="approved", user_id=user.id)
        sub_page, up_page = max(submitted_page, 1), max(upvoted_page, 1)
        submitted = features.submitted_by_user(
            conn, user.id, offset=(sub_page - 1) * size, limit=size
        )
        upvoted = community.upvoted_by_user(conn, user.id, offset=(up_page - 1) * size, limit=size)
        return Profile(
            user=user,
            submitted=_listing(conn, *submitted, sub_page),
            upvoted=_listing(conn, *upvoted, up_page),
            claimed=get_papers(conn, [c.paper_id for c in approved]),
        )


def _listing(
    conn: sa.Connection, rows: list[tuple[int, datetime]], total: int, page: int
) -> Listing:
    by_id = {p.id: p for p in get_papers(conn, [pid for pid, _ in rows])}
    items = [Dated(by_id[pid], when) for pid, when in rows if pid in by_id]
    return Listing(items, total, page, _pages(total, PROFILE_PAGE_SIZE))


def _pages(total: int, size: int) -> int:
    return max((total + size - 1) // size, 1)


FEED_PAGE_SIZE = 30


@dataclass(slots=True)
class FeedPage:
    """A page of a feed period's entries, and where to go from it: the neighbouring periods
    (for days, the nearest days with papers) and the other pages of a long period.
    `anchor` is the day the reader came from, kept when switching day/week/month."""

    period: Period
    anchor: date
    entries: list[FeedEntry]
    voted: set[int]
    total: int
    page: int = 1
    pages: int = 1
    previous: Period | None = None
    following: Period | None = None
    hidden: int = 0

    @property
    def start(self) -> date:
        """The period's first day."""
        return self.period.start

    @property
    def first_rank(self) -> int:
        """The rank of this page's first entry in the whole period (1 on the first page)."""
        return (self.page - 1) * FEED_PAGE_SIZE + 1


def feed_page(
    engine: sa.Engine,
    period: Period,
    *,
    viewer: User | None,
    page: int = 1,
    anchor: date | None = None,
) -> FeedPage:
    """A page of the featured papers of a day/week/month, best first, with the viewer's
    votes marked and their feed filters applied (``hidden`` counts what the filters took
    out); a period without papers is an empty page, not an error."""
    entries = feed.featured(engine, period.start, period.end)
    hidden = 0
    if viewer is not None:
        with engine.connect() as conn:
            prefs = readers.preferences(conn, viewer.id)
        if feed_filters.active(prefs):
            kept = [e for e in entries if feed_filters.keeps(e.paper, prefs)]
            entries, hidden = kept, len(entries) - len(kept)
    pages = _pages(len(entries), FEED_PAGE_SIZE)
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * FEED_PAGE_SIZE : page * FEED_PAGE_SIZE]
    with engine.connect() as conn:
        voted = (
            community.voted_papers(conn, viewer.id, [e.paper.id for e in shown])
            if viewer
            else set()
        )
        previous, following = _neighbours(conn, period)
    inside = anchor is not None and period.start <= anchor <= period.end
    return FeedPage(
        period,
        anchor if inside and anchor else period.start,
        shown,
        voted,
        len(entries),
        page,
        pages,
        previous,
        following,
        hidden,
    )


def _neighbours(conn: sa.Connection, period: Period) -> tuple[Period | None, Period | None]:
    """Days step to the nearest days with papers; weeks and months to the previous and next
    week or month (None past the last feature, so nobody pages into the empty future)."""
    before = features.latest_feature_date(conn, on_or_before=period.start - timedelta(days=1))
    after = features.next_feature_date(conn, period.end)
    if period.kind == "day":
        return (
            containing("day", before) if before else None,
            containing("day", after) if after else None,
        )
    return (period.step(-1) if before else None, period.step(1) if after else None)


def papers_by_id(engine: sa.Engine, ids: list[int]) -> list[Paper]:
    """Stored papers by id, in the order asked (missing ones left out)."""
    with engine.connect() as conn:
        return get_papers(conn, ids)


def latest_day(engine: sa.Engine, today: date) -> date:
    """The newest day with featured papers, not after today (today on an empty instance)."""
    return feed.latest_date(engine, on_or_before=today) or today


@dataclass(frozen=True, slots=True)
class PendingClaim:
    """A claim awaiting a curator, with the paper it is about."""

    id: int
    username: str
    paper: Paper


def pending_claims_page(engine: sa.Engine) -> list[PendingClaim]:
    """Claims waiting for a curator's decision, oldest first."""
    with engine.connect() as conn:
        rows = community.claims(conn, status="pending")
        by_id = {p.id: p for p in get_papers(conn, [r.paper_id for r in rows])}
    return [PendingClaim(r.id, r.username, by_id[r.paper_id]) for r in rows if r.paper_id in by_id]
