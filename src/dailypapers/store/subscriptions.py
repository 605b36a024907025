"""Subscribers, their interests, and the delivery outbox keyed (subscription, period)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dailypapers.store.schema import (
    deliveries,
    delivery_papers,
    subscriptions,
    users,
    utcnow,
    votes,
)

Cadence = Literal["daily", "weekly"]
CADENCES: tuple[Cadence, ...] = ("daily", "weekly")
"""How often digests go out (the cadence CHECK constraint in schema.py)."""


@dataclass(slots=True)
class Interests:
    """What a subscriber asked for: how often, and which topics, authors and categories."""

    cadence: str = "daily"
    topics: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Subscription:
    """A stored subscription; `status` is pending, active, paused or unsubscribed."""

    id: int
    email: str
    interests: Interests
    status: str
    token_version: int
    confirm_sent_at: datetime | None
    confirmed_at: datetime | None
    failure_count: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this sender now owns, with the Message-ID it must be sent under."""

    delivery_id: int
    message_id: str
    attempts: int


def _to_subscription(row: sa.Row[Any]) -> Subscription:
    interests = Interests(
        cadence=row.cadence,
        topics=list(row.topics),
        authors=list(row.followed_authors),
        categories=list(row.categories),
    )
    return Subscription(
        id=row.id,
        email=row.email,
        interests=interests,
        status=row.status,
        token_version=row.token_version,
        confirm_sent_at=row.confirm_sent_at,
        confirmed_at=row.confirmed_at,
        failure_count=row.failure_count,
        created_at=row.created_at,
    )


def _interest_values(interests: Interests) -> dict[str, Any]:
    return {
        "cadence": interests.cadence,
        "topics": interests.topics,
        "followed_authors": interests.authors,
        "categories": interests.categories,
    }


def find_by_email(conn: sa.Connection, email: str) -> Subscription | None:
    """The subscription of an address, if any."""
    row = conn.execute(subscriptions.select().where(subscriptions.c.email == email)).first()
    return _to_subscription(row) if row else None


def waiting_confirmations(conn: sa.Connection) -> list[Subscription]:
    """Pending subscriptions whose confirmation mail has not gone out, oldest first."""
    q = (
        sa.select(subscriptions)
        .where(subscriptions.c.status == "pending", subscriptions.c.confirm_sent_at.is_(None))
        .order_by(subscriptions.c.created_at, subscriptions.c.id)
    )
    return [_to_subscription(r) for r in conn.execute(q)]


def get_subscription(conn: sa.Connection, subscription_id: int) -> Subscription | None:
    """A subscription by id, if it still exists."""
    q = subscriptions.select().where(subscriptions.c.id == subscription_id)
    row = conn.execute(q).first()
    return _to_subscription(row) if row else None


def insert_subscription(
    conn: sa.Connection, email: str, interests: Interests, *, status: str
) -> Subscription:
    """Store a new subscription; an active one counts as confirmed now."""
    now = utcnow()
    values = {
        **_interest_values(interests),
        "email": email,
        "status": status,
        "confirmed_at": now if status == "active" else None,
    }
    sid = conn.execute(subscriptions.insert().returning(subscriptions.c.id), values).scalar_one()
    found = get_subscription(conn, sid)
    assert found is not None
    return found


def restart_pending(conn: sa.Connection, subscription_id: int, interests: Interests) -> None:
    """Make an ended subscription pending again under new links (old ones stop working)."""
    conn.execute(
        sa.update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(
            **_interest_values(interests),
            status="pending",
            confirmed_at=None,
            confirm_sent_at=None,
            failure_count=0,
            token_version=subscriptions.c.token_version + 1,
        )
    )


def update_subscription(conn: sa.Connection, subscription_id: int, **values: Any) -> None:
    """Set columns of one subscription (status, confirm_sent_at, confirmed_at, ...)."""
    q = sa.update(subscriptions).where(subscriptions.c.id == subscription_id)
    conn.execute(q.values(**values))


def set_interests(conn: sa.Connection, subscription_id: int, interests: Interests) -> None:
    """Replace a subscription's cadence and interests."""
    update_subscription(conn, subscription_id, **_interest_values(interests))


def delete_subscription(conn: sa.Connection, email: str) -> bool:
    """Remove an address and (by cascade) its delivery history; False if unknown."""
    result = conn.execute(sa.delete(subscriptions).where(subscriptions.c.email == email))
    return result.rowcount > 0


def active_subscriptions(
    conn: sa.Connection, cadence: str, *, email: str | None = None
) -> list[Subscription]:
    """Confirmed, unpaused subscriptions of a cadence (optionally one address), by id."""
    q = subscriptions.select().where(
        subscriptions.c.status == "active", subscriptions.c.cadence == cadence
    )
    if email is not None:
        q = q.where(subscriptions.c.email == email)
    return [_to_subscription(r) for r in conn.execute(q.order_by(subscriptions.c.id))]


def delivery_history(conn: sa.Connection, subscription_id: int) -> list[dict[str, Any]]:
    """Every delivery of a subscription with the papers it carried (for export)."""
    q = deliveries.select().where(deliveries.c.subscription_id == subscription_id)
    rows = conn.execute(q.order_by(deliveries.c.id)).all()
    papers = _papers_by_delivery(conn, [r.id for r in rows])
    return [
        {
            "period": r.period_key,
            "status": r.status,
            "sent_at": r.sent_at,
            "message_id": r.message_id,
            "paper_ids": papers.get(r.id, []),
        }
        for r in rows
    ]


def _papers_by_delivery(conn: sa.Connection, delivery_ids: list[int]) -> dict[int, list[int]]:
    q = sa.select(delivery_papers).where(delivery_papers.c.delivery_id.in_(delivery_ids))
    found: dict[int, list[int]] = {}
    for row in conn.execute(q.order_by(delivery_papers.c.paper_id)):
        found.setdefault(row.delivery_id, []).append(row.paper_id)
    return found


def upvoted_papers(
    conn: sa.Connection, subscription_ids: Sequence[int], *, per_subscriber: int = 20
) -> dict[int, list[int]]:
    """The papers each subscriber upvoted on the site, newest vote first: through the account
    linked to the subscription, or the account with the same (confirmed) address."""
    if not subscription_ids:
        return {}
    account = sa.or_(
        users.c.id == subscriptions.c.user_id,
        sa.func.lower(users.c.email) == subscriptions.c.email,
    )
    q = (
        sa.select(subscriptions.c.id, votes.c.paper_id)
        .join(users, account)
        .join(votes, votes.c.user_id == users.c.id)
        .where(subscriptions.c.id.in_(subscription_ids))
        .order_by(votes.c.created_at.desc(), votes.c.id.desc())
    )
    found: dict[int, list[int]] = {}
    for sub_id, paper_id in conn.execute(q):
        liked = found.setdefault(sub_id, [])
        if len(liked) < per_subscriber and paper_id not in liked:
            liked.append(paper_id)
    return found


def sent_papers(
    conn: sa.Connection, subscription_ids: Sequence[int], paper_ids: Iterable[int]
) -> dict[int, set[int]]:
    """Which of `paper_ids` each subscription already received in a sent digest."""
    ids = set(paper_ids)
    if not ids or not subscription_ids:
        return {}
    q = (
        sa.select(deliveries.c.subscription_id, delivery_papers.c.paper_id)
        .join(delivery_papers, delivery_papers.c.delivery_id == deliveries.c.id)
        .where(
            deliveries.c.status == "sent",
            deliveries.c.subscription_id.in_(subscription_ids),
            delivery_papers.c.paper_id.in_(ids),
        )
    )
    found: dict[int, set[int]] = {}
    for row in conn.execute(q):
        found.setdefault(row.subscription_id, set()).add(row.paper_id)
    return found


def _insert_ignoring_conflict(conn: sa.Connection, values: dict[str, Any]) -> bool:
    """Insert a delivery unless (subscription, period) exists; True if this call inserted it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    q = dialect.insert(deliveries).values(values)
    q = q.on_conflict_do_nothing(index_elements=["subscription_id", "period_key"])
    return conn.execute(q.returning(deliveries.c.id)).first() is not None


def claim_delivery(
    conn: sa.Connection,
    subscription_id: int,
    period_key: str,
    *,
    message_id: str,
    lease_until: datetime,
) -> Claim | None:
    """Own the (subscription, period) delivery, or None if it is sent, failed or leased.

    The unique (subscription_id, period_key) row is the idempotency key: the first sender
    inserts it; a later one may take it over only while it is pending and due, or when a
    crashed sender's lease ran out before it began the SMTP DATA phase.
    """
    now = utcnow()
    fresh = {
        "subscription_id": subscription_id,
        "period_key": period_key,
        "status": "sending",
        "attempts": 1,
        "message_id": message_id,
        "next_attempt_at": lease_until,
    }
    if _insert_ignoring_conflict(conn, fresh):
        return _claim_of(conn, subscription_id, period_key)
    due = sa.or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= now)
    takeover = sa.or_(
        deliveries.c.status == "pending",
        sa.and_(deliveries.c.status == "sending", deliveries.c.data_started_at.is_(None)),
    )
    result = conn.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.subscription_id == subscription_id,
            deliveries.c.period_key == period_key,
            due,
            takeover,
        )
        .values(
            status="sending",
            attempts=deliveries.c.attempts + 1,
            message_id=sa.func.coalesce(deliveries.c.message_id, message_id),
            next_attempt_at=lease_until,
        )
    )
    return _claim_of(conn, subscription_id, period_key) if result.rowcount == 1 else None


def _claim_of(conn: sa.Connection, subscription_id: int, period_key: str) -> Claim:
    q = sa.select(deliveries.c.id, deliveries.c.message_id, deliveries.c.attempts).where(
        deliveries.c.subscription_id == subscription_id, deliveries.c.period_key == period_key
    )
    row = conn.execute(q).one()
    return Claim(row.id, row.message_id, row.attempts)


def give_up_interrupted(conn: sa.Connection) -> int:
    """Fail crashed sends that had begun SMTP DATA: they may have been delivered already."""
    result = conn.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.status == "sending",
            deliveries.c.data_started_at.is_not(None),
            deliveries.c.next_attempt_at <= utcnow(),
        )
        .values(
            status="failed",
            last_error="interrupted during SMTP DATA; not re-sent, it may have been delivered",
        )
    )
    return result.rowcount


def mark_data_started(conn: sa.Connection, delivery_id: int, *, lease_until: datetime) -> None:
    """Record that the message is about to be transmitted (from here a crash is ambiguous)."""
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(data_started_at=utcnow(), next_attempt_at=lease_until)
    )


def mark_sent(conn: sa.Connection, delivery_id: int, paper_ids: Sequence[int]) -> None:
    """The server accepted the message: record it, its papers, and reset the failure count."""
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status="sent", sent_at=utcnow(), last_error=None, next_attempt_at=None)
    )
    if paper_ids:
        rows = [{"delivery_id": delivery_id, "paper_id": p} for p in dict.fromkeys(paper_ids)]
        conn.execute(delivery_papers.insert(), rows)
    conn.execute(
        sa.update(subscriptions)
        .where(subscriptions.c.id == _subscription_of(conn, delivery_id))
        .values(failure_count=0)
    )


def mark_retry(conn: sa.Connection, delivery_id: int, error: str, *, after: datetime) -> None:
    """A transient failure: pending again, due at `after`."""
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status="pending", last_error=error, next_attempt_at=after, data_started_at=None)
    )


def mark_failed(
    conn: sa.Connection, delivery_id: int, error: str, *, pause_after: int | None
) -> bool:
    """A final failure; with `pause_after`, count it and pause the subscription at that many.

    Returns True when this failure paused the subscription.
    """
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(status="failed", last_error=error, next_attempt_at=None)
    )
    if pause_after is None:
        return False
    sid = _subscription_of(conn, delivery_id)
    update_subscription(conn, sid, failure_count=subscriptions.c.failure_count + 1)
    paused = conn.execute(
        sa.update(subscriptions)
        .where(
            subscriptions.c.id == sid,
            subscriptions.c.status == "active",
            subscriptions.c.failure_count >= pause_after,
        )
        .values(status="paused")
    )
    return paused.rowcount == 1


def _subscription_of(conn: sa.Connection, delivery_id: int) -> int:
    q = sa.select(deliveries.c.subscription_id).where(deliveries.c.id == delivery_id)
    return int(conn.execute(q).scalar_one())
