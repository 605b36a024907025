"""The links in subscription emails, followed against the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.runtime import Runtime
from dailypapers.services import accounts
from dailypapers.services import subscriptions as svc
from dailypapers.signing import Signer, TokenClaims
from dailypapers.web.app import create_app
from digest_helpers import BASE_URL, link, mail_server, path_of
from smtp_server import Recorder, free_port
from web_helpers import csrf_from


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the outbox's SQL is checked on both backends in test_digest_outbox."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(autouse=True)
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with mail_server(monkeypatch, Recorder()) as handler:
        yield handler


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt), base_url=BASE_URL) as c:  # the only host it answers
        yield c


def status_of(rt: Runtime, email: str) -> str:
    return str(svc.export(rt, email)["status"])


def test_confirm_link_activates(rt: Runtime, client: TestClient, smtp: Recorder) -> None:
    svc.subscribe(rt, "r@example.org", svc.Interests("daily", ["agents"]))
    page = client.get(path_of(link(smtp.messages[0], "confirm")))
    assert page.status_code == 200
    assert "subscribed" in page.text
    assert status_of(rt, "r@example.org") == "active"
    assert client.get("/subscribe/confirm/forged.token").status_code == 400


def test_manage_form_shows_and_saves(rt: Runtime, client: TestClient) -> None:
    sid = svc.add_confirmed(rt, "r@example.org", svc.Interests("daily", ["agents"])).id
    path = (
        f"/subscribe/manage/{Signer.from_settings(rt.settings).make('manage', TokenClaims(sid, 0))}"
    )
    form = client.get(path)
    assert form.status_code == 200
    assert 'value="agents"' in form.text
    saved = client.post(path, data={"cadence": "weekly", "topics": "rag, diffusion\nvideo"})
    assert saved.status_code == 200
    assert "Saved" in saved.text
    assert svc.export(rt, "r@example.org")["topics"] == ["rag", "diffusion", "video"]
    bad = client.post(path, data={"cadence": "hourly"})
    assert bad.status_code == 422


def test_unsubscribe_page_needs_a_post_and_one_click_works(rt: Runtime, client: TestClient) -> None:
    sid = svc.add_confirmed(rt, "r@example.org", svc.Interests()).id
    path = (
        f"/unsubscribe/{Signer.from_settings(rt.settings).make('unsubscribe', TokenClaims(sid, 0))}"
    )
    page = client.get(path)
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    assert status_of(rt, "r@example.org") == "active", "a GET (link scanner) changes nothing"
    client.cookies.clear()
    done = client.post(
        path,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert status_of(rt, "r@example.org") == "unsubscribed"
    assert client.post("/unsubscribe/forged.token").status_code == 400


def test_subscribing_without_mail_queues_and_the_admin_sends_it(
    rt: Runtime, client: TestClient, smtp: Recorder
) -> None:
    up = rt.settings
    rt.settings = up.model_copy(update={"smtp_port": free_port(), "smtp_max_attempts": 1})
    form = {"email": "later@example.org", "cadence": "weekly"}
    page = client.post("/subscribe", data={**form, "csrf_token": csrf_from(client, "/subscribe")})
    assert page.status_code == 200 and "we will send your confirmation" in page.text
    accounts.create_account(rt.engine, "root", email=None, password="a-long-password", role="admin")
    signed_in = client.post(
        "/signin",
        data={
            "login": "root",
            "password": "a-long-password",
            "csrf_token": csrf_from(client, "/signin"),
        },
    )
    assert signed_in.status_code == 200
    outbox = client.get("/admin/outbox").text
    assert "later@example.org" in outbox and "Send now" in outbox
    rt.settings = up  # mail works again
    sent = client.post(
        "/admin/outbox/send", data={"csrf_token": csrf_from(client, "/admin/outbox")}
    )
    assert "Sent 1; 0 still waiting." in sent.text and "Nothing is waiting" in sent.text
    (msg,) = smtp.messages
    assert msg["To"] == "later@example.org"
    assert client.post("/admin/outbox/send").status_code == 403  # no CSRF token
