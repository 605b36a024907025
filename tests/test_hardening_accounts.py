"""Sessions end on the server (sign-out, new password, an admin's sign-out), trivial and common
passwords are refused, and sign-up does not say which emails have accounts (issue 11,
items 8 and 9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dailypapers.runtime import Runtime
from dailypapers.services import accounts
from dailypapers.web.app import create_app
from web_helpers import csrf_from, sign_up, with_secret

PASSWORD = "plum tractor lantern"


@pytest.fixture
def app(rt: Runtime) -> FastAPI:
    rt.settings = with_secret(rt.settings)
    rt.settings.rate_limit_auth_per_minute = 0
    return create_app(rt)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _signed_in(client: TestClient) -> bool:
    return client.get("/submit", follow_redirects=False).status_code == 200


def _copy_of(app: FastAPI, client: TestClient) -> TestClient:
    """Another browser holding a copy of `client`'s session cookie."""
    thief = TestClient(app)
    thief.cookies.set("dp_session", client.cookies["dp_session"])
    return thief


def test_sign_out_ends_the_session_for_a_copied_cookie(app: FastAPI, client: TestClient) -> None:
    sign_up(client, "bob", PASSWORD)
    thief = _copy_of(app, client)
    assert _signed_in(thief)
    client.post("/signout", data={"csrf_token": csrf_from(client, "/submit")})
    assert not _signed_in(client)
    assert not _signed_in(thief)


@pytest.mark.parametrize("action", ["new password", "admin sign-out"])
def test_account_changes_end_sessions(
    rt: Runtime, app: FastAPI, client: TestClient, action: str
) -> None:
    sign_up(client, "bob", PASSWORD)
    thief = _copy_of(app, client)
    user = accounts.find_user(rt.engine, "bob")
    assert user is not None and _signed_in(thief)
    if action == "new password":
        accounts.change_password(rt.engine, user.id, "another fine password")
    else:
        accounts.end_sessions(rt.engine, user.id)
    assert not _signed_in(thief) and not _signed_in(client)
    client.post("/signin", data={"login": "bob", "password": PASSWORD,
                                 "csrf_token": csrf_from(client, "/signin")})  # fmt: skip
    assert _signed_in(client) == (action != "new password")


@pytest.mark.parametrize("weak", ["12345678", " " * 8, "password1", "qwertyuiop", "bob_2024!!"])
def test_trivial_and_common_passwords_are_refused(client: TestClient, weak: str) -> None:
    response = sign_up(client, "bob", weak)
    assert response.status_code == 400 and "password:" in response.text
    assert accounts.password_problem(weak, username="bob") is not None


def test_sign_up_does_not_reveal_which_emails_have_accounts(rt: Runtime, app: FastAPI) -> None:
    accounts.create_account(rt.engine, "alice", email="alice@example.org", password=PASSWORD)
    answers = []
    for name, email in [("mallory", "alice@example.org"), ("trent", "nobody@example.org")]:
        with TestClient(app) as c:
            token = csrf_from(c, "/signup")
            data = {"username": name, "email": email, "password": PASSWORD, "csrf_token": token}
            r = c.post("/signup", data=data, follow_redirects=False)
            answers.append((r.status_code, r.headers.get("location"), _signed_in(c)))
    assert answers[0] == answers[1] == (303, "/", True)
    mallory, alice = (
        accounts.find_user(rt.engine, "mallory"),
        accounts.find_user(rt.engine, "alice"),
    )
    assert mallory is not None and mallory.email is None
    assert alice is not None and alice.email == "alice@example.org"
