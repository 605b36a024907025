"""Digest runs against a real loopback SMTP server: content, headers, retries, failures, repeats."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.digest.run import send_digests
from dailypapers.runtime import Runtime
from dailypapers.services import subscriptions as svc
from dailypapers.store.schema import deliveries
from digest_helpers import BASE_URL, Spec, feature, link, mail_server
from smtp_server import Recorder, Scripted

D1, D2 = date(2026, 5, 11), date(2026, 5, 12)
DAY1 = [
    Spec("Scaling Diffusion Models", 90),
    Spec("Agents That Plan", 50, authors=("Grace Hopper",)),
    Spec("A Survey of Retrieval", 10),
    Spec("Tiny Diffusion Agents", 3, abstract="Small diffusion models for agents."),
    Spec("Quiet Paper", 2, authors=("Alan Turing",)),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the outbox's SQL is checked on both backends in test_digest_outbox."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def handler(request: pytest.FixtureRequest) -> Recorder:
    """A fresh server handler per test; parametrise with a factory to script replies."""
    make: Callable[[], Recorder] = getattr(request, "param", Recorder)
    return make()


@pytest.fixture(autouse=True)
def smtp(monkeypatch: pytest.MonkeyPatch, handler: Recorder) -> Iterator[Recorder]:
    monkeypatch.setenv("DAILYPAPERS_DIGEST_TOP_PAPERS", "2")
    monkeypatch.setenv("DAILYPAPERS_PAUSE_AFTER_FAILURES", "2")
    with mail_server(monkeypatch, handler) as served:
        yield served


def titles(text: str) -> list[str]:
    """The known titles a message part contains, in DAY1 order."""
    return [s.title for s in [*DAY1, Spec("Fresh Result")] if s.title in text]


def part(msg: EmailMessage, kind: str) -> str:
    body = msg.get_body((kind,))
    assert body is not None
    return str(body.get_content())


def statuses(rt: Runtime) -> list[tuple[str, int]]:
    with rt.engine.connect() as conn:
        q = sa.select(deliveries.c.status, deliveries.c.attempts).order_by(deliveries.c.id)
        return [(r.status, r.attempts) for r in conn.execute(q)]


def test_daily_digest_content_headers_and_links(rt: Runtime, smtp: Recorder) -> None:
    feature(rt, D1, DAY1)
    interests = svc.Interests("daily", ["diffusion"], ["Alan Turing"], [])
    svc.add_confirmed(rt, "reader@example.org", interests)
    svc.subscribe(rt, "pending@example.org", svc.Interests())
    smtp.messages.clear()
    report = send_digests(rt, "daily", D1)
    assert (report.sent, report.subscribers) == (1, 1), report
    (msg,) = smtp.messages
    assert msg["From"] == "Daily Papers <digest@papers.example.org>"
    assert msg["To"] == "reader@example.org"
    assert msg["Subject"] == "Daily Papers for 11 May 2026: 4 papers"
    assert re.fullmatch(r"<[^@<>]+@papers\.example\.org>", msg["Message-ID"])
    unsubscribe = link(msg, "unsubscribe")
    assert msg["List-Unsubscribe"] == (
        f"<{unsubscribe}>, <mailto:digest@papers.example.org?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = part(msg, "plain"), part(msg, "html")
    expected = [
        "Scaling Diffusion Models",
        "Agents That Plan",
        "Tiny Diffusion Agents",
        "Quiet Paper",
    ]
    assert titles(text) == titles(html) == sorted(expected, key=[s.title for s in DAY1].index)
    assert "A Survey of Retrieval" not in text
    for url in (link(msg, "manage"), unsubscribe):
        assert url in html
    assert f'href="{BASE_URL}/papers/' in html
    assert 'style="' in html, "CSS is inlined"
    assert "prefers-color-scheme: dark" in html
    assert send_digests(rt, "daily", D1).skipped == 1
    assert len(smtp.messages) == 1
    assert statuses(rt) == [("sent", 1)]


def test_no_paper_is_repeated_and_an_empty_period_sends_nothing(
    rt: Runtime, smtp: Recorder
) -> None:
    feature(rt, D1, DAY1[:3])
    feature(rt, D2, [*DAY1[:2], Spec("Fresh Result", 5)])
    svc.add_confirmed(rt, "r@example.org", svc.Interests())
    send_digests(rt, "daily", D1)
    send_digests(rt, "daily", D2)
    first, second = (part(m, "plain") for m in smtp.messages)
    assert "Scaling Diffusion Models" in first
    assert "Scaling Diffusion Models" not in second
    assert "Agents That Plan" not in second
    assert "Fresh Result" in second
    report = send_digests(rt, "daily", D2 + timedelta(days=1))
    assert (report.empty, report.sent, len(smtp.messages)) == (1, 0, 2)
    svc.add_confirmed(rt, "r@example.org", svc.Interests("weekly"))
    assert send_digests(rt, "weekly", D2).sent == 1
    weekly = part(smtp.messages[-1], "plain")
    assert "A Survey of Retrieval" in weekly, "featured in the week, never mailed"
    assert not {"Scaling Diffusion Models", "Agents That Plan", "Fresh Result"} & set(
        titles(weekly)
    )


@pytest.mark.parametrize(
    "handler", [lambda: Scripted(replies=["421 4.3.2 try later"])], indirect=True
)
def test_a_421_is_retried_and_delivered_once(rt: Runtime, smtp: Recorder) -> None:
    feature(rt, D1, DAY1)
    svc.add_confirmed(rt, "r@example.org", svc.Interests())
    assert send_digests(rt, "daily", D1).sent == 1
    assert len(smtp.messages) == 1
    assert statuses(rt) == [("sent", 1)]


@pytest.mark.parametrize(
    "handler", [lambda: Scripted(replies=["550 5.1.1 <r@example.org> unknown"] * 9)], indirect=True
)
def test_a_550_is_recorded_and_repeated_ones_pause(rt: Runtime, smtp: Recorder) -> None:
    feature(rt, D1, DAY1[:2])
    feature(rt, D2, DAY1[2:])
    svc.add_confirmed(rt, "r@example.org", svc.Interests())
    assert send_digests(rt, "daily", D1).failed == 1
    assert svc.export(rt, "r@example.org")["status"] == "active"
    assert send_digests(rt, "daily", D2).paused == 1
    assert svc.export(rt, "r@example.org")["status"] == "paused"
    history = svc.export(rt, "r@example.org")["deliveries"]
    assert [h["status"] for h in history] == ["failed", "failed"]
    assert smtp.messages == []
    with rt.engine.connect() as conn:
        errors = conn.execute(sa.select(deliveries.c.last_error)).scalars().all()
    assert all("550" in e and "r@example.org" not in e for e in errors)


def test_dry_run_and_to_send_nothing_else(rt: Runtime, smtp: Recorder) -> None:
    feature(rt, D1, DAY1)
    svc.add_confirmed(rt, "a@example.org", svc.Interests())
    svc.add_confirmed(rt, "b@example.org", svc.Interests())
    assert send_digests(rt, "daily", D1, dry_run=True).composed == 2
    assert smtp.messages == []
    assert send_digests(rt, "daily", D1, only_email="b@example.org").sent == 1
    assert [m["To"] for m in smtp.messages] == ["b@example.org"]
