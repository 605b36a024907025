"""Paper pages, profiles and feed pages: one call per page, plain dataclasses back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.models import FeedEntry, Paper
from dailypapers.paper_paths import slug_key
from dailypapers.search.searcher import HybridSearcher
from dailypapers.services import feed, search
from dailypapers.services.community import Comment, comments_for
from dailypapers.store import community, features, users
from dailypapers.store.papers import get_papers, paper_for_title_key, paper_id_for_arxiv
from dailypapers.store.users import User

SIMILAR_PAPERS = 5


class NotFound(InputError):
    """The paper, date or user asked for does not exist (the web layer answers 404)."""


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
    curator = viewer is not None and viewer.role in ("curator", "admin")
    with engine.connect() as conn:
        found = get_papers(conn, [paper_id])
        if not found:
            raise NotFound(f"no paper with id {paper_id}")
        page = PaperPage(
            paper=found[0],
            featured_on=community.feature_dates(conn, paper_id),
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


@dataclass(slots=True)
class Profile:
    """A member's page: who they are and the papers they submitted, upvoted and authored."""

    user: User
    submitted: list[Paper]
    upvoted: list[Paper]
    claimed: list[Paper]


def profile(engine: sa.Engine, username: str) -> Profile:
    """The profile of a user by username; NotFound if there is none."""
    with engine.connect() as conn:
        user = users.find_user(conn, username)
        if user is None or user.username.lower() != username.lower():
            raise NotFound(f"no user {username!r}")
        approved = community.claims(conn, status="approved", user_id=user.id)
        return Profile(
            user=user,
            submitted=get_papers(conn, community.submitted_paper_ids(conn, user.id)),
            upvoted=get_papers(conn, community.upvoted_paper_ids(conn, user.id)),
            claimed=get_papers(conn, [c.paper_id for c in approved]),
        )


@dataclass(slots=True)
class FeedPage:
    """A feed period's entries plus navigation: the day before/after that has papers."""

    start: date
    end: date
    entries: list[FeedEntry]
    voted: set[int]
    previous: date | None = None
    following: date | None = None


def feed_page(engine: sa.Engine, start: date, end: date, *, viewer: User | None) -> FeedPage:
    """Featured papers of a day/week/month, best first, with the viewer's votes marked."""
    entries = feed.featured(engine, start, end)
    with engine.connect() as conn:
        voted = (
            community.voted_papers(conn, viewer.id, [e.paper.id for e in entries])
            if viewer
            else set()
        )
        previous = features.latest_feature_date(conn, on_or_before=start - timedelta(days=1))
        following = community.next_feature_date(conn, end)
    return FeedPage(start, end, entries, voted, previous, following)


def latest_day(engine: sa.Engine) -> date:
    """The newest day with featured papers (today on an empty instance)."""
    return feed.latest_date(engine) or datetime.now(UTC).date()


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
