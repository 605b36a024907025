"""A reader's whole data as one JSON document, and deleting the account with all of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.services.subscriptions import subscription_fields
from dailypapers.store import collections as collections_store
from dailypapers.store import readers
from dailypapers.store import subscriptions as subscriptions_store
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers
from dailypapers.store.users import User


def export(engine: sa.Engine, user: User) -> dict[str, Any]:
    """Votes, reading list, dismissals, interests and filters, collections and the digest
    subscription of the account's address: everything stored that is theirs."""
    with engine.connect() as conn:
        marks = {
            "votes": readers.upvoted(conn, user.id),
            "reading_list": readers.marked(conn, "save", user.id),
            "not_interested": readers.marked(conn, "dismiss", user.id),
        }
        papers = {
            p.id: p for p in get_papers(conn, [pid for rows in marks.values() for pid, _ in rows])
        }
        prefs = readers.preferences(conn, user.id)
        owned = collections_store.of_user(conn, user.id, public_only=False)
        items = {c.id: collections_store.items(conn, c.id, limit=10_000, offset=0) for c in owned}
        in_collections = get_papers(conn, [r.paper_id for rows in items.values() for r in rows])
        sub = subscriptions_store.find_by_email(conn, user.email) if user.email else None
    by_id = {**papers, **{p.id: p for p in in_collections}}
    data: dict[str, Any] = {
        "account": {"username": user.username, "email": user.email, "role": user.role},
        **{
            kind: [_paper_ref(by_id, pid, when) for pid, when in rows]
            for kind, rows in marks.items()
        },
        "interests": {
            "topics": prefs.topics,
            "categories": prefs.categories,
            "followed_authors": prefs.authors,
        },
        "feed_filters": {
            "include_categories": prefs.include_categories,
            "exclude_categories": prefs.exclude_categories,
            "include_keywords": prefs.include_keywords,
            "exclude_keywords": prefs.exclude_keywords,
        },
        "collections": [
            {
                "name": c.name,
                "description": c.description,
                "public": c.is_public,
                "papers": [_paper_ref(by_id, r.paper_id, r.added_at) for r in items[c.id]],
            }
            for c in owned
        ],
        "subscription": None if sub is None else subscription_fields(sub),
    }
    return data


def _paper_ref(by_id: dict[int, Any], pid: int, when: datetime) -> dict[str, Any]:
    p = by_id.get(pid)
    return {
        "arxiv_id": p.arxiv_id if p else None,
        "title": p.title if p else None,
        "at": when.isoformat(),
    }


def delete_account(engine: sa.Engine, user: User, *, confirm: str) -> None:
    """Delete the account and everything that is theirs (``confirm`` must be the username),
    the digest subscription of its address included."""
    if confirm.strip().lower() != user.username.lower():
        raise InputError("type your username to confirm the deletion")
    with transaction(engine) as conn:
        if user.email:
            subscriptions_store.delete_subscription(conn, user.email.strip().lower())
        readers.delete_account(conn, user.id)
