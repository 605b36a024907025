"""The delivery outbox: each (subscription, period) digest is claimed and recorded once.

A delivery row moves pending → sending → sent | failed, one short transaction per step:

1. **claim** inserts the (subscription_id, period_key) row as `sending`, with a freshly
   generated Message-ID and a lease (DELIVERY_LEASE_SECONDS). The unique constraint is the
   idempotency key: a second sender, or a second run, finds the row and leaves it alone.
2. **data started** is recorded after the server accepted MAIL and RCPT, just before the
   message is transmitted.
3. **sent** is recorded immediately after the server's 250 reply to DATA, together with
   the papers the digest carried (so later digests never repeat them).

The crash window. If the sender dies between the server's 250 and step 3's commit, the
server has the message but the row still says `sending`. SMTP offers no way to ask the
server afterwards, so a row is re-sent only when that cannot have happened:

* `sending` with no DATA start, lease expired: the sender died before transmitting;
  nothing can have been delivered, so the next run takes it over and sends it, under the
  Message-ID stored at claim time.
* `sending` with DATA started, lease expired: the outcome is unknown. We choose
  at-most-once: the row becomes `failed` ("interrupted during SMTP DATA") and is not
  re-sent, because a duplicate digest in an inbox is worse than one missed digest (the
  next one follows within a day or a week). The window is a network round trip plus
  one commit, so this is rare.

Transient failures (4xx) leave the row `pending`, due again later; permanent ones (5xx)
mark it `failed` and count towards pausing the subscription (PAUSE_AFTER_FAILURES).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from dailypapers.config import Settings
from dailypapers.store import subscriptions as store
from dailypapers.store.database import transaction
from dailypapers.store.schema import utcnow
from dailypapers.store.subscriptions import Claim

log = logging.getLogger(__name__)


class Outbox:
    """Claims and records deliveries; logs subscription and delivery ids, never addresses."""

    def __init__(self, engine: sa.Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings

    def _lease_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self._settings.delivery_lease_seconds)

    def recover(self) -> int:
        """Give up on crashed sends whose outcome is unknown (see the module docstring)."""
        with transaction(self._engine) as conn:
            count = store.give_up_interrupted(conn)
        if count:
            log.warning("%d interrupted deliveries marked failed, not re-sent", count)
        return count

    def claim(self, subscription_id: int, period_key: str, message_id: str) -> Claim | None:
        """Own this digest's delivery, or None if it was sent, failed or is being sent."""
        with transaction(self._engine) as conn:
            return store.claim_delivery(
                conn,
                subscription_id,
                period_key,
                message_id=message_id,
                lease_until=self._lease_until(),
            )

    def data_started(self, claim: Claim) -> None:
        """Mark the point after which a crash leaves the outcome unknown."""
        with transaction(self._engine) as conn:
            store.mark_data_started(conn, claim.delivery_id, lease_until=self._lease_until())

    def sent(self, claim: Claim, paper_ids: list[int]) -> None:
        """Record acceptance by the server, right after its reply."""
        with transaction(self._engine) as conn:
            store.mark_sent(conn, claim.delivery_id, paper_ids)
        log.info("delivery %d sent", claim.delivery_id)

    def retry_later(self, claim: Claim, error: str) -> None:
        """Leave the delivery pending, due after a backoff longer than the in-run retries."""
        delay = self._settings.smtp_retry_seconds * 2**self._settings.smtp_max_attempts
        with transaction(self._engine) as conn:
            store.mark_retry(
                conn, claim.delivery_id, error, after=utcnow() + timedelta(seconds=delay)
            )
        log.warning("delivery %d deferred: %s", claim.delivery_id, error)

    def failed(self, claim: Claim, error: str, *, permanent: bool) -> bool:
        """Record a final failure; permanent ones count towards pausing. True if paused."""
        pause_after = self._settings.pause_after_failures if permanent else None
        with transaction(self._engine) as conn:
            paused = store.mark_failed(conn, claim.delivery_id, error, pause_after=pause_after)
        log.warning("delivery %d failed: %s%s", claim.delivery_id, error, " (paused)" * paused)
        return paused
