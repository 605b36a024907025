"""Paper pages, profiles and search results: one call per page, plain dataclasses back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.models import FeedEntry, Paper
from dailypapers.services import feed
from dailypapers.services.community import Comment, comments_for
from dailypapers.store import community, features, users
from dailypapers.store.papers import get_papers, paper_id_for_arxiv
from dailypapers.store.schema import papers
from dailypapers.store.users import User


class NotFound(InputError):
    """The paper, date or user asked for does not exist (the web layer answers 404)."""


class SimilarSource(Protocol):
    """Anything with the search engine's `similar(paper_id, k)` (HybridSearcher)."""

    def similar(self, paper_id: int, k: int) -> list[Any]: ...


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
    searcher: SimilarSource | None = None,
) -> PaperPage:
    """The paper, its feature dates, comments (hidden ones for curators), similar papers."""
    curator = viewer is not None and viewer.role in ("curator", "admin")
    with engine.connect() as conn:
        found = get_papers(conn, [paper_id])
        if not found:
            raise NotFound(f"no paper with id {paper_id}")
        page = PaperPage(
            paper=found[0],
            featured_on=community.feature_dates(conn, paper_id),
            comments=[],
            similar=similar_papers(conn, searcher, paper_id),
            approved_authors=[
                c.username for c in community.claims(conn, status="approved", paper_id=paper_id)
            ],
        )
        if viewer is not None:
            page.voted = bool(community.voted_papers(conn, viewer.id, [paper_id]))
            page.claim = community.claim_status(conn, viewer.id, paper_id)
    page.comments = comments_for(engine, paper_id, include_hidden=curator)
    return page


def similar_papers(
    conn: sa.Connection, searcher: SimilarSource | None, paper_id: int, k: int = 5
) -> list[Paper]:
    """Papers like this one from the search engine; [] until a searcher is available."""
    if searcher is None:
        return []
    hits = searcher.similar(paper_id, k)
    ids = [getattr(h, "paper_id", h) for h in hits]
    return [p for p in get_papers(conn, ids) if p.id != paper_id]


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


def temporary_like_search(engine: sa.Engine, query: str, *, limit: int = 30) -> list[Paper]:
    """TEMPORARY stand-in for dailypapers.search until the hybrid searcher lands.

    Case-insensitive substring match of every word over title and abstract, newest first.
    """
    words = [w for w in query.lower().split() if w][:8]
    if not words:
        return []
    text = sa.func.lower(papers.c.title + " " + papers.c.abstract)
    q = sa.select(papers.c.id).where(*(text.contains(w, autoescape=True) for w in words))
    q = q.order_by(papers.c.published_at.desc().nulls_last(), papers.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return get_papers(conn, list(conn.execute(q).scalars()))


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


def search(engine: sa.Engine, query: str) -> list[Paper]:
    """Search results for the search page (TEMPORARY: substring match until search lands)."""
    return temporary_like_search(engine, query)
