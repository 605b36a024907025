"""Votes, comments and authorship claims (feature rows are store.features' business)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from dailypapers.store.schema import authorship_claims, comments, users, utcnow, votes


def count_votes(conn: sa.Connection) -> int:
    """How many votes were cast on this instance."""
    return conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar_one()


def add_vote(conn: sa.Connection, user_id: int, paper_id: int) -> None:
    """Record a vote; a second vote by the same user raises IntegrityError (UNIQUE)."""
    conn.execute(votes.insert(), {"user_id": user_id, "paper_id": paper_id, "created_at": utcnow()})


def remove_vote(conn: sa.Connection, user_id: int, paper_id: int) -> None:
    """Withdraw a vote (nothing happens if there was none)."""
    conn.execute(sa.delete(votes).where(votes.c.user_id == user_id, votes.c.paper_id == paper_id))


def voted_papers(conn: sa.Connection, user_id: int, paper_ids: list[int]) -> set[int]:
    """Which of these papers the user has voted for."""
    if not paper_ids:
        return set()
    q = sa.select(votes.c.paper_id).where(
        votes.c.user_id == user_id, votes.c.paper_id.in_(set(paper_ids))
    )
    return set(conn.execute(q).scalars())


def local_vote_count(conn: sa.Connection, paper_id: int) -> int:
    """Votes cast on this instance for one paper."""
    q = sa.select(sa.func.count()).select_from(votes).where(votes.c.paper_id == paper_id)
    return conn.execute(q).scalar_one()


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A stored comment with its author's names; `body` is the raw markdown."""

    id: int
    paper_id: int
    parent_id: int | None
    username: str
    display_name: str | None
    body: str
    hidden: bool
    created_at: datetime


def add_comment(
    conn: sa.Connection, paper_id: int, user_id: int, body: str, *, parent_id: int | None = None
) -> int:
    """Store a comment; returns its id."""
    values = {
        "paper_id": paper_id,
        "user_id": user_id,
        "body": body,
        "parent_id": parent_id,
        "created_at": utcnow(),
    }
    return conn.execute(comments.insert().returning(comments.c.id), values).scalar_one()


def list_comments(conn: sa.Connection, paper_id: int, *, include_hidden: bool) -> list[CommentRow]:
    """A paper's comments, oldest first; hidden ones only when asked (curators)."""
    q = (
        sa.select(
            comments.c.id,
            comments.c.paper_id,
            comments.c.parent_id,
            users.c.username,
            users.c.display_name,
            comments.c.body,
            comments.c.hidden,
            comments.c.created_at,
        )
        .join(users, users.c.id == comments.c.user_id)
        .where(comments.c.paper_id == paper_id)
        .order_by(comments.c.created_at, comments.c.id)
    )
    if not include_hidden:
        q = q.where(comments.c.hidden.is_(False))
    return [CommentRow(*row) for row in conn.execute(q)]


def set_comment_hidden(conn: sa.Connection, comment_id: int, hidden: bool) -> int | None:
    """Hide or show a comment; returns its paper id, or None if there is no such comment."""
    q = (
        sa.update(comments)
        .where(comments.c.id == comment_id)
        .values(hidden=hidden)
        .returning(comments.c.paper_id)
    )
    return conn.execute(q).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """An authorship claim with the claimant's name and the paper it is about."""

    id: int
    user_id: int
    username: str
    paper_id: int
    status: str


def _claims_query() -> sa.Select[tuple[int, int, str, int, str]]:
    return sa.select(
        authorship_claims.c.id,
        authorship_claims.c.user_id,
        users.c.username,
        authorship_claims.c.paper_id,
        authorship_claims.c.status,
    ).join(users, users.c.id == authorship_claims.c.user_id)


def add_claim(conn: sa.Connection, user_id: int, paper_id: int) -> None:
    """File a pending claim; a repeat claim raises IntegrityError (UNIQUE user+paper)."""
    values = {"user_id": user_id, "paper_id": paper_id, "status": "pending", "created_at": utcnow()}
    conn.execute(authorship_claims.insert(), values)


def claim_status(conn: sa.Connection, user_id: int, paper_id: int) -> str | None:
    """The status of this user's claim on this paper, or None if they made none."""
    q = sa.select(authorship_claims.c.status).where(
        authorship_claims.c.user_id == user_id, authorship_claims.c.paper_id == paper_id
    )
    return conn.execute(q).scalar_one_or_none()


def claims(
    conn: sa.Connection,
    *,
    status: str | None = None,
    user_id: int | None = None,
    paper_id: int | None = None,
) -> list[ClaimRow]:
    """Claims, oldest first, optionally only one status, claimant and/or paper."""
    q = _claims_query().order_by(authorship_claims.c.id)
    if paper_id is not None:
        q = q.where(authorship_claims.c.paper_id == paper_id)
    if status:
        q = q.where(authorship_claims.c.status == status)
    if user_id is not None:
        q = q.where(authorship_claims.c.user_id == user_id)
    return [ClaimRow(r.id, r.user_id, r.username, r.paper_id, r.status) for r in conn.execute(q)]


def decide_claim(conn: sa.Connection, claim_id: int, *, status: str, decided_by: int) -> bool:
    """Approve or reject a claim; False if there is no such claim."""
    q = (
        sa.update(authorship_claims)
        .where(authorship_claims.c.id == claim_id)
        .values(status=status, decided_by_id=decided_by)
    )
    return conn.execute(q).rowcount == 1


def upvoted_by_user(
    conn: sa.Connection, user_id: int, *, offset: int = 0, limit: int = 50
) -> tuple[list[tuple[int, datetime]], int]:
    """A page of (paper id, when voted) of the papers this user upvoted, newest vote first,
    and how many there are in all."""
    mine = votes.c.user_id == user_id
    total = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
    q = (
        sa.select(votes.c.paper_id, votes.c.created_at)
        .where(mine)
        .order_by(votes.c.created_at.desc(), votes.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(r.paper_id, r.created_at) for r in conn.execute(q)], total
