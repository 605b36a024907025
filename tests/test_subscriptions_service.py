"""Subscriptions: double opt-in, signed links, manage, unsubscribe, export, delete."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from dailypapers.errors import InputError
from dailypapers.runtime import Runtime
from dailypapers.services import subscriptions as svc
from dailypapers.signing import InvalidToken, Signer, TokenClaims
from digest_helpers import link, mail_server
from smtp_server import Recorder, free_port, smtp_server

INTERESTS = svc.Interests("daily", ["diffusion models"], ["Ada Lovelace"], ["cs.LG"])


@pytest.fixture(autouse=True)
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with mail_server(monkeypatch, Recorder()) as handler:
        yield handler


def token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_subscribe_mails_one_confirmation_and_confirm_activates(
    rt: Runtime, smtp: Recorder
) -> None:
    result = svc.subscribe(rt, " Reader@Example.org ", INTERESTS)
    assert result.outcome == "confirmation_sent"
    (msg,) = smtp.messages
    assert msg["To"] == "reader@example.org"
    assert msg["Subject"] == "Confirm your Daily Papers subscription"
    again = svc.subscribe(rt, "reader@example.org", svc.Interests("weekly"))
    assert again.outcome == "already_pending"
    assert len(smtp.messages) == 1, "a pending address is not mailed again in the window"
    sub = svc.confirm(rt, token(link(msg, "confirm")))
    assert sub.status == "active"
    assert sub.interests == INTERESTS
    assert svc.confirm(rt, token(link(msg, "confirm"))).status == "active"
    again = svc.subscribe(rt, "reader@example.org", svc.Interests("weekly", ["spam"]))
    assert again.outcome == "already_active"
    (_, reminder) = smtp.messages  # no silent overwrite: the owner gets the manage link
    assert reminder["Subject"] == "Your Daily Papers subscription"
    assert svc.manage(rt, token(link(reminder, "manage"))).interests == INTERESTS


def test_bad_tokens_are_refused(rt: Runtime) -> None:
    sub = svc.subscribe(rt, "r@example.org", INTERESTS)
    signer = Signer.from_settings(rt.settings)
    claims = TokenClaims(sub.subscription_id, 0)
    manage = signer.make("manage", claims)
    with pytest.raises(InvalidToken):
        svc.confirm(rt, manage)
    with pytest.raises(InvalidToken):
        svc.unsubscribe(rt, manage[:-2] + "xx")
    expired = Signer("test-secret-" + "x" * 40, confirm_max_age=timedelta(seconds=-1))
    with pytest.raises(InvalidToken, match="expired"):
        expired.read("confirm", signer.make("confirm", claims))
    assert svc.manage(rt, manage).id == sub.subscription_id


def test_unsubscribe_is_immediate_and_resubscribing_retires_old_links(
    rt: Runtime, smtp: Recorder
) -> None:
    sid = svc.add_confirmed(rt, "r@example.org", INTERESTS).id
    signer = Signer.from_settings(rt.settings)
    old = signer.make("unsubscribe", TokenClaims(sid, 0))
    assert svc.unsubscribe(rt, old).status == "unsubscribed"
    assert svc.unsubscribe(rt, old).status == "unsubscribed"
    assert svc.subscribe(rt, "r@example.org", INTERESTS).outcome == "confirmation_sent"
    with pytest.raises(InvalidToken, match="no longer valid"):
        svc.unsubscribe(rt, old)
    svc.confirm(rt, token(link(smtp.messages[-1], "confirm")))


def test_manage_updates_and_validates_interests(rt: Runtime) -> None:
    sid = svc.add_confirmed(rt, "r@example.org", INTERESTS).id
    manage = Signer.from_settings(rt.settings).make("manage", TokenClaims(sid, 0))
    wanted = svc.Interests("weekly", [" agents ", "agents", "RAG"], [], ["cs.CL"])
    assert svc.update_interests(rt, manage, wanted).interests == svc.Interests(
        "weekly", ["agents", "RAG"], [], ["cs.CL"]
    )
    with pytest.raises(InputError, match="cadence"):
        svc.update_interests(rt, manage, svc.Interests("hourly"))
    with pytest.raises(InputError, match="email"):
        svc.subscribe(rt, "not an address", INTERESTS)


def test_export_and_delete(rt: Runtime) -> None:
    svc.add_confirmed(rt, "r@example.org", INTERESTS)
    data = svc.export(rt, "R@example.org")
    assert data["email"] == "r@example.org"
    assert data["topics"] == ["diffusion models"]
    assert data["deliveries"] == []
    assert svc.delete(rt, "r@example.org") is True
    assert svc.delete(rt, "r@example.org") is False
    with pytest.raises(InputError):
        svc.export(rt, "r@example.org")


def test_without_mail_the_confirmation_waits_in_the_outbox(
    rt: Runtime, smtp: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    up = rt.settings
    rt.settings = up.model_copy(update={"smtp_port": free_port(), "smtp_max_attempts": 1})
    result = svc.subscribe(rt, "later@example.org", INTERESTS)
    assert result.outcome == "confirmation_queued" and smtp.messages == []
    assert svc.subscribe(rt, "later@example.org", INTERESTS).outcome == "confirmation_queued"
    assert [w.email for w in svc.waiting_confirmations(rt)] == ["later@example.org"]
    assert svc.send_waiting_confirmations(rt) == (0, 1)  # still down: it keeps waiting
    rt.settings = up
    assert svc.send_waiting_confirmations(rt) == (1, 0)
    (msg,) = smtp.messages
    assert msg["To"] == "later@example.org"
    assert svc.confirm(rt, token(link(msg, "confirm"))).status == "active"
    assert svc.send_waiting_confirmations(rt) == (0, 0)


@dataclass
class SlowRecorder(Recorder):
    """Takes a while to accept a message: a send is still under way when the outbox runs."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.8)
        return self.accept(envelope)


def test_the_outbox_never_sends_a_confirmation_that_subscribe_is_sending(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mail_server(monkeypatch, SlowRecorder()) as slow:
        rt.settings = rt.settings.model_copy(
            update={"smtp_port": int(os.environ["DAILYPAPERS_SMTP_PORT"])}
        )
        request = threading.Thread(target=svc.subscribe, args=(rt, "race@example.org", INTERESTS))
        request.start()
        deadline = time.monotonic() + 10
        while not svc.waiting_confirmations(rt) and time.monotonic() < deadline:
            time.sleep(0.01)  # the row is stored; its confirmation is on its way
        assert [w.email for w in svc.waiting_confirmations(rt)] == ["race@example.org"]
        assert svc.send_waiting_confirmations(rt) == (0, 1)  # claimed by the request: skipped
        request.join()
        assert [m["To"] for m in slow.messages] == ["race@example.org"]
        assert svc.send_waiting_confirmations(rt) == (0, 0)
        assert [m["To"] for m in slow.messages] == ["race@example.org"]


def test_a_non_ascii_address_gets_an_answer_not_a_crash(rt: Runtime, smtp: Recorder) -> None:
    with pytest.raises(InputError, match="non-ASCII"):  # this server offers no SMTPUTF8
        svc.subscribe(rt, "jörg@example.org", INTERESTS)
    assert svc.waiting_confirmations(rt) == [] and smtp.messages == []
    utf8 = Recorder()
    with smtp_server(utf8, smtputf8=True) as port:
        rt.settings = rt.settings.model_copy(update={"smtp_port": port})
        assert svc.subscribe(rt, "jörg@example.org", INTERESTS).outcome == "confirmation_sent"
    (msg,) = utf8.messages
    assert msg["To"] == "jörg@example.org"
