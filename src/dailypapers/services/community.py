"""Votes, comments (markdown rendered then sanitised) and authorship claims.

Rate limits are applied by the web layer before these are called; here live the rules:
one vote per user and paper (enforced by the database, so concurrent double clicks are
harmless), comments never carry script, claims stay pending until a curator decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt

from dailypapers.errors import InputError, NotFound
from dailypapers.store import community
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers

MAX_COMMENT = 10_000
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str) -> str:
    """Markdown → HTML that is safe to embed: raw HTML off, then nh3 keeps only plain tags.

    Links may only be http(s)/mailto (no `javascript:`), and get rel="nofollow noopener".
    """
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


@dataclass(frozen=True, slots=True)
class VoteState:
    """A paper's upvote count after a vote, and whether this user's vote is in it."""

    paper_id: int
    upvotes: int
    voted: bool


def set_vote(engine: sa.Engine, *, user_id: int, paper_id: int, up: bool) -> VoteState:
    """Vote or unvote; idempotent, so a double click (even concurrent) counts once."""
    try:
        with transaction(engine) as conn:
            _require_paper(conn, paper_id)
            if up:
                community.add_vote(conn, user_id, paper_id)
            else:
                community.remove_vote(conn, user_id, paper_id)
    except sa.exc.IntegrityError:
        pass  # the vote already exists: the UNIQUE constraint did its job
    return vote_state(engine, user_id=user_id, paper_id=paper_id)


def _require_paper(conn: sa.Connection, paper_id: int) -> None:
    """NotFound (a 404) for a paper that does not exist, rather than a foreign-key error
    (which the vote and claim handlers would take for a duplicate)."""
    if not get_papers(conn, [paper_id]):
        raise NotFound(f"no paper with id {paper_id}")


def vote_state(engine: sa.Engine, *, user_id: int | None, paper_id: int) -> VoteState:
    """The current count for a paper (imported + local) and this user's vote."""
    with engine.connect() as conn:
        found = get_papers(conn, [paper_id])
        if not found:
            raise InputError(f"no paper with id {paper_id}")
        voted = bool(user_id and community.voted_papers(conn, user_id, [paper_id]))
    return VoteState(paper_id, found[0].upvotes, voted)


def voted_among(engine: sa.Engine, user_id: int | None, paper_ids: list[int]) -> set[int]:
    """Which of these papers the user voted for (empty when signed out)."""
    if user_id is None:
        return set()
    with engine.connect() as conn:
        return community.voted_papers(conn, user_id, paper_ids)


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment ready to show: `html` is sanitised markdown."""

    id: int
    username: str
    display_name: str | None
    html: str
    hidden: bool
    created_at: datetime


def _to_comment(row: community.CommentRow) -> Comment:
    return Comment(
        row.id, row.username, row.display_name, render_markdown(row.body), row.hidden,
        row.created_at,
    )  # fmt: skip


def add_comment(engine: sa.Engine, *, user_id: int, paper_id: int, body: str) -> Comment:
    """Store a comment after checking it is non-empty and not huge."""
    text = body.strip()
    if not text:
        raise InputError("comment: write something first")
    if len(text) > MAX_COMMENT:
        raise InputError(f"comment: at most {MAX_COMMENT:,} characters")
    with transaction(engine) as conn:
        _require_paper(conn, paper_id)
        cid = community.add_comment(conn, paper_id, user_id, text)
        rows = community.list_comments(conn, paper_id, include_hidden=True)
    return next(_to_comment(r) for r in rows if r.id == cid)


def comments_for(engine: sa.Engine, paper_id: int, *, include_hidden: bool) -> list[Comment]:
    """A paper's comments, oldest first; hidden ones only for curators."""
    with engine.connect() as conn:
        rows = community.list_comments(conn, paper_id, include_hidden=include_hidden)
    return [_to_comment(r) for r in rows]


def hide_comment(engine: sa.Engine, comment_id: int, *, hidden: bool = True) -> int:
    """Hide (or show again) a comment; returns the paper id it belongs to."""
    with transaction(engine) as conn:
        paper_id = community.set_comment_hidden(conn, comment_id, hidden)
    if paper_id is None:
        raise InputError(f"no comment with id {comment_id}")
    return paper_id


def claim_authorship(engine: sa.Engine, *, user_id: int, paper_id: int) -> str:
    """File a claim (pending until a curator decides); returns the claim's status."""
    try:
        with transaction(engine) as conn:
            _require_paper(conn, paper_id)
            community.add_claim(conn, user_id, paper_id)
    except sa.exc.IntegrityError:
        pass  # already claimed: keep the existing claim and its status
    with engine.connect() as conn:
        return community.claim_status(conn, user_id, paper_id) or "pending"


def claim_status(engine: sa.Engine, *, user_id: int | None, paper_id: int) -> str | None:
    """This user's claim status on a paper, if any."""
    if user_id is None:
        return None
    with engine.connect() as conn:
        return community.claim_status(conn, user_id, paper_id)


def pending_claims(engine: sa.Engine) -> list[community.ClaimRow]:
    """Claims waiting for a curator."""
    with engine.connect() as conn:
        return community.claims(conn, status="pending")


def decide_claim(engine: sa.Engine, claim_id: int, *, approve: bool, curator_id: int) -> None:
    """Approve or reject a claim."""
    status = "approved" if approve else "rejected"
    with transaction(engine) as conn:
        if not community.decide_claim(conn, claim_id, status=status, decided_by=curator_id):
            raise InputError(f"no claim with id {claim_id}")
