"""Email subscriptions: subscribe with double opt-in, confirm, manage, unsubscribe, export, delete.

Pages must answer `subscribe` the same way whatever it returns, so the form never tells a
visitor whether an address is subscribed. An unconfirmed address is mailed at most once
per confirmation window, and never receives anything else.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.mail.messages import already_subscribed_message, confirmation_message
from dailypapers.mail.smtp import Mailer, PermanentError, SendError
from dailypapers.runtime import Runtime
from dailypapers.signing import InvalidToken, Purpose, Signer, TokenClaims
from dailypapers.store import leases
from dailypapers.store import subscriptions as store
from dailypapers.store.database import transaction
from dailypapers.store.schema import utcnow
from dailypapers.store.subscriptions import CADENCES, Interests, Subscription

__all__ = [
    "Interests",
    "InvalidToken",
    "Subscription",
    "confirm",
    "delete",
    "export",
    "manage",
    "subscribe",
    "subscription_for",
    "unsubscribe",
    "update_interests",
]

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ITEMS, MAX_ITEM_CHARS = 20, 100

Outcome = Literal["confirmation_sent", "confirmation_queued", "already_pending", "already_active"]


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    """What `subscribe` did; show the visitor the same "check your inbox" page for all."""

    outcome: Outcome
    subscription_id: int


def normalize_email(email: str) -> str:
    """The address as stored: trimmed and lower-cased; refuses what cannot be an address."""
    address = email.strip().lower()
    if len(address) > 320 or not _EMAIL.match(address):
        raise InputError("enter a valid email address")
    return address


def clean_interests(interests: Interests) -> Interests:
    """Trimmed, de-duplicated, bounded interests with a known cadence."""
    if interests.cadence not in CADENCES:
        raise InputError(f"cadence must be one of {', '.join(CADENCES)}")
    return replace(
        interests,
        topics=_clean_list(interests.topics, "topics"),
        authors=_clean_list(interests.authors, "authors"),
        categories=_clean_list(interests.categories, "categories"),
    )


def _clean_list(items: list[str], what: str) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(i.split()) for i in items if i.strip()))
    if len(cleaned) > MAX_ITEMS or any(len(i) > MAX_ITEM_CHARS for i in cleaned):
        raise InputError(f"at most {MAX_ITEMS} {what} of {MAX_ITEM_CHARS} characters each")
    return cleaned


def subscribe(rt: Runtime, email: str, interests: Interests) -> SubscribeResult:
    """Start a subscription and mail its signed confirmation link (double opt-in).

    When mail cannot be sent now (no SMTP server, or it defers), the request is kept and
    its confirmation waits in the outbox (`confirm_sent_at` empty) for
    `send_waiting_confirmations`. A pending address inside its confirmation window (or
    still waiting) is not mailed again and keeps what it asked for first. An active one is
    left untouched (a stranger must not change someone's interests): its owner is mailed
    the manage link instead. An address that unsubscribed, or was paused, starts over.
    An address the mail server refuses outright (e.g. non-ASCII without SMTPUTF8) is an
    InputError with the reason, and nothing is kept.
    The links are built on the configured BASE_URL (`Settings.public_url`), never on the
    request's Host header, which whoever sends the request chooses.
    """
    address, wanted = normalize_email(email), clean_interests(interests)
    sender = uuid.uuid4().hex
    window = timedelta(days=rt.settings.confirm_max_age_days)
    base = rt.settings.public_url
    with transaction(rt.engine) as conn:
        sub = store.find_by_email(conn, address)
        created = sub is None
        if sub is None:
            sub = store.insert_subscription(conn, address, wanted, status="pending")
        elif sub.status == "active":
            active = sub
        elif sub.status == "pending" and (
            sub.confirm_sent_at is None or utcnow() - sub.confirm_sent_at < window
        ):
            outcome: Outcome = "already_pending" if sub.confirm_sent_at else "confirmation_queued"
            return SubscribeResult(outcome, sub.id)
        elif sub.status == "pending":
            store.set_interests(conn, sub.id, wanted)
        else:
            store.restart_pending(conn, sub.id, wanted)
        sub = store.get_subscription(conn, sub.id)
        assert sub is not None
        if sub.status != "active" and not _claim_sending(conn, sub.id, sender):
            return SubscribeResult("confirmation_queued", sub.id)  # the outbox is sending it
    if sub.status == "active":
        _remind_manage_link(rt, active, base)
        return SubscribeResult("already_active", sub.id)
    try:
        _send_confirmation(rt, sub, base)
    except PermanentError as exc:
        if created:
            with transaction(rt.engine) as conn:
                store.delete_subscription(conn, address)
        raise InputError(_refused_reason(address, exc)) from None
    except SendError as exc:
        log.warning("confirmation for subscription %d queued: %s", sub.id, exc)
        return SubscribeResult("confirmation_queued", sub.id)
    finally:
        _release_sending(rt, sub.id, sender)
    return SubscribeResult("confirmation_sent", sub.id)


SENDING_SECONDS = 300.0
"""How long a claim to send one confirmation lasts: longer than a send with its retries, so
a claim only lapses when its process died mid-send."""


def _sending_lease(subscription_id: int) -> str:
    return f"confirm:{subscription_id}"


def _claim_sending(conn: sa.Connection, subscription_id: int, sender: str) -> bool:
    """Take the one right to mail this confirmation now (a row in the leases table), so a
    /subscribe request and the outbox sender, on any node, never both send it."""
    name = _sending_lease(subscription_id)
    return leases.acquire(conn, name, sender, ttl=SENDING_SECONDS, now=utcnow())


def _release_sending(rt: Runtime, subscription_id: int, sender: str) -> None:
    with transaction(rt.engine) as conn:
        leases.release(conn, _sending_lease(subscription_id), sender)


def _refused_reason(address: str, exc: SendError) -> str:
    if not address.isascii():
        return (
            "our mail server cannot deliver to addresses with non-ASCII characters; "
            "please use an ASCII address"
        )
    return f"our mail server refused this address ({exc})"


def _send_confirmation(rt: Runtime, sub: Subscription, base_url: str) -> None:
    """Mail the confirmation link and note when; on failure the row stays without
    `confirm_sent_at`, which is what queues it for `send_waiting_confirmations`."""
    token = Signer.from_settings(rt.settings).make("confirm", _claims(sub))
    msg = confirmation_message(
        to=sub.email,
        confirm_url=f"{base_url.rstrip('/')}/subscribe/confirm/{token}",
        max_age_days=rt.settings.confirm_max_age_days,
        settings=rt.settings,
    )
    with Mailer(rt.settings) as mailer:
        mailer.send(msg)
    with transaction(rt.engine) as conn:
        store.update_subscription(conn, sub.id, confirm_sent_at=utcnow())
    log.info("confirmation sent for subscription %d", sub.id)


def _remind_manage_link(rt: Runtime, sub: Subscription, base_url: str) -> None:
    """Best effort: tell an active subscriber where to change their settings."""
    token = Signer.from_settings(rt.settings).make("manage", _claims(sub))
    msg = already_subscribed_message(
        to=sub.email,
        manage_url=f"{base_url.rstrip('/')}/subscribe/manage/{token}",
        settings=rt.settings,
    )
    try:
        with Mailer(rt.settings) as mailer:
            mailer.send(msg)
    except SendError as exc:
        log.warning("manage link for subscription %d not sent: %s", sub.id, exc)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A confirmation waiting in the outbox."""

    subscription_id: int
    email: str
    requested_at: datetime


def waiting_confirmations(rt: Runtime) -> list[Waiting]:
    """Pending subscriptions whose confirmation was not sent yet, oldest first."""
    with rt.engine.connect() as conn:
        rows = store.waiting_confirmations(conn)
    return [Waiting(s.id, s.email, s.created_at) for s in rows]


def send_waiting_confirmations(rt: Runtime) -> tuple[int, int]:
    """Send the queued confirmations; stops at the first sign that SMTP is still down.
    Returns (sent, still waiting). Links use BASE_URL (no request to take it from)."""
    waiting = waiting_confirmations(rt)
    sent, sender = 0, uuid.uuid4().hex
    for item in waiting:
        with transaction(rt.engine) as conn:
            sub = store.get_subscription(conn, item.subscription_id)
            if sub is None or sub.status != "pending" or sub.confirm_sent_at is not None:
                continue
            if not _claim_sending(conn, sub.id, sender):
                continue  # a /subscribe request (or another node) is sending it right now
        try:
            _send_confirmation(rt, sub, rt.settings.public_url)
        except PermanentError as exc:
            log.warning("confirmation for subscription %d refused: %s", sub.id, exc)
            with transaction(rt.engine) as conn:
                store.update_subscription(conn, sub.id, status="paused")
            continue
        except SendError as exc:
            log.warning("confirmations still waiting: %s", exc)
            break
        finally:
            _release_sending(rt, sub.id, sender)
        sent += 1
    return sent, len(waiting_confirmations(rt))


def _claims(sub: Subscription) -> TokenClaims:
    return TokenClaims(sub.id, sub.token_version)


def subscription_for(rt: Runtime, purpose: Purpose, token: str) -> Subscription:
    """The subscription a token is for, if it and its link version still exist."""
    claims = Signer.from_settings(rt.settings).read(purpose, token)
    with rt.engine.connect() as conn:
        sub = store.get_subscription(conn, claims.subscription_id)
    if sub is None or sub.token_version != claims.version:
        raise InvalidToken("this link is no longer valid")
    return sub


def confirm(rt: Runtime, token: str) -> Subscription:
    """Activate the subscription a confirmation link is for (idempotent)."""
    sub = subscription_for(rt, "confirm", token)
    if sub.status == "unsubscribed":
        raise InvalidToken("this subscription was cancelled: subscribe again")
    if sub.status != "active":
        with transaction(rt.engine) as conn:
            store.update_subscription(
                conn, sub.id, status="active", confirmed_at=utcnow(), failure_count=0
            )
        log.info("subscription %d confirmed", sub.id)
    return replace(sub, status="active")


def manage(rt: Runtime, token: str) -> Subscription:
    """The subscription a manage link is for."""
    return subscription_for(rt, "manage", token)


def update_interests(rt: Runtime, token: str, interests: Interests) -> Subscription:
    """Change cadence and interests through a manage link."""
    sub = subscription_for(rt, "manage", token)
    wanted = clean_interests(interests)
    with transaction(rt.engine) as conn:
        store.set_interests(conn, sub.id, wanted)
    return replace(sub, interests=wanted)


def unsubscribe(rt: Runtime, token: str) -> Subscription:
    """Stop all mail at once (idempotent); works from the List-Unsubscribe one-click POST."""
    sub = subscription_for(rt, "unsubscribe", token)
    if sub.status != "unsubscribed":
        with transaction(rt.engine) as conn:
            store.update_subscription(conn, sub.id, status="unsubscribed")
        log.info("subscription %d unsubscribed", sub.id)
    return replace(sub, status="unsubscribed")


def add_confirmed(rt: Runtime, email: str, interests: Interests) -> Subscription:
    """Add an already-consented address as active (operator import), or update its interests."""
    address, wanted = normalize_email(email), clean_interests(interests)
    with transaction(rt.engine) as conn:
        sub = store.find_by_email(conn, address)
        if sub is None:
            return store.insert_subscription(conn, address, wanted, status="active")
        store.set_interests(conn, sub.id, wanted)
        store.update_subscription(conn, sub.id, status="active", confirmed_at=utcnow())
        found = store.get_subscription(conn, sub.id)
    assert found is not None
    return found


def export(rt: Runtime, email: str) -> dict[str, Any]:
    """Everything stored about an address (data-subject access request)."""
    with rt.engine.connect() as conn:
        sub = store.find_by_email(conn, normalize_email(email))
        if sub is None:
            raise InputError("no subscription for that address")
        history = store.delivery_history(conn, sub.id)
    return {
        **subscription_fields(sub),
        "created_at": sub.created_at,
        "confirmed_at": sub.confirmed_at,
        "deliveries": history,
    }


def subscription_fields(sub: store.Subscription) -> dict[str, Any]:
    """What a subscriber chose, as plain JSON fields: the one shape both the address export
    and a member's whole-data download use."""
    i = sub.interests
    return {
        "email": sub.email,
        "status": sub.status,
        "cadence": i.cadence,
        "topics": i.topics,
        "authors": i.authors,
        "categories": i.categories,
    }


def delete(rt: Runtime, email: str) -> bool:
    """Erase an address and its delivery history; False if it was not stored."""
    with transaction(rt.engine) as conn:
        return store.delete_subscription(conn, normalize_email(email))
