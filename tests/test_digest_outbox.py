"""The outbox's exactly-once rules on both backends, and the scheduler's timetable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from dailypapers.config import Settings
from dailypapers.digest.scheduler import due_runs
from dailypapers.runtime import Runtime
from dailypapers.store import subscriptions as store
from dailypapers.store.database import transaction
from dailypapers.store.schema import deliveries, utcnow
from dailypapers.store.subscriptions import Interests

KEY = "daily:2026-05-11"


def claim(rt: Runtime, sid: int, *, lease: float = 60) -> store.Claim | None:
    with transaction(rt.engine) as conn:
        until = utcnow() + timedelta(seconds=lease)
        return store.claim_delivery(conn, sid, KEY, message_id="<new@x>", lease_until=until)


@pytest.fixture
def sid(rt: Runtime) -> int:
    with transaction(rt.engine) as conn:
        return store.insert_subscription(conn, "r@example.org", Interests(), status="active").id


def status(rt: Runtime) -> str:
    with rt.engine.connect() as conn:
        return str(conn.execute(sa.select(deliveries.c.status)).scalar_one())


def test_a_delivery_is_claimed_once_and_a_leased_one_is_left_alone(rt: Runtime, sid: int) -> None:
    first = claim(rt, sid)
    assert first is not None
    assert first.message_id == "<new@x>"
    assert claim(rt, sid) is None, "another sender holds the lease"
    with transaction(rt.engine) as conn:
        store.mark_sent(conn, first.delivery_id, [])
    assert claim(rt, sid, lease=-1) is None, "sent is final"


def test_a_crash_before_data_is_resent_under_the_same_message_id(rt: Runtime, sid: int) -> None:
    crashed = claim(rt, sid, lease=-1)
    assert crashed is not None
    with transaction(rt.engine) as conn:
        assert store.give_up_interrupted(conn) == 0
    again = claim(rt, sid)
    assert again == store.Claim(crashed.delivery_id, crashed.message_id, 2)


def test_a_crash_during_data_is_not_resent(rt: Runtime, sid: int) -> None:
    crashed = claim(rt, sid)
    assert crashed is not None
    past = utcnow() - timedelta(seconds=1)
    with transaction(rt.engine) as conn:
        store.mark_data_started(conn, crashed.delivery_id, lease_until=past)
        assert store.give_up_interrupted(conn) == 1
    assert status(rt) == "failed"
    assert claim(rt, sid, lease=-1) is None


def test_a_deferred_delivery_is_retried_once_due(rt: Runtime, sid: int) -> None:
    first = claim(rt, sid)
    assert first is not None
    with transaction(rt.engine) as conn:
        store.mark_retry(conn, first.delivery_id, "421", after=utcnow() + timedelta(hours=1))
    assert claim(rt, sid) is None
    with transaction(rt.engine) as conn:
        store.mark_retry(conn, first.delivery_id, "421", after=utcnow() - timedelta(seconds=1))
    assert claim(rt, sid) is not None


def test_scheduler_timetable() -> None:
    settings = Settings(digest_hour=18, digest_weekday="friday")
    friday = datetime(2026, 5, 15, 18, 5, tzinfo=UTC)
    assert due_runs(friday, settings) == [("daily", friday.date()), ("weekly", friday.date())]
    assert due_runs(friday.replace(hour=17), settings) == []
    assert due_runs(friday + timedelta(days=1), settings) == []
    thursday = friday - timedelta(days=1)
    assert due_runs(thursday, settings) == [("daily", thursday.date())]
