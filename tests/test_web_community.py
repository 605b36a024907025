"""Accounts, CSRF, votes, comments, submissions, claims and curator actions, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from dailypapers.errors import SourceError
from dailypapers.models import PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.search.embedder import load_embedder
from dailypapers.search.sync import sync
from dailypapers.services import accounts
from dailypapers.store import search as search_store
from dailypapers.store import users
from dailypapers.store.database import transaction
from dailypapers.store.papers import paper_id_for_arxiv
from dailypapers.web.app import create_app
from search_helpers import paper_id
from web_helpers import csrf_from, paper, seed, sign_up, with_secret

HTMX = {"HX-Request": "true"}


TODAY = datetime(2024, 6, 5, 9, 30, tzinfo=UTC)  # the seeded papers were published 1 June


def fake_arxiv(ids: list[str]) -> list[PaperRecord]:
    """Stands in for the arXiv API: knows exactly one paper; 2407.00000 finds it offline
    (the error the polite client raises when arXiv cannot be reached)."""
    if "2407.00000" in ids:
        raise SourceError("export.arxiv.org unreachable: connection refused")
    return [paper("2407.11111", "Fetched From Arxiv", day=None)] if "2407.11111" in ids else []


@pytest.fixture
def ids(rt: Runtime) -> dict[str, int]:
    """The seeded papers' ids by title."""
    return seed(rt.engine)


@pytest.fixture
def client(rt: Runtime, ids: dict[str, int]) -> Iterator[TestClient]:
    """A client on a seeded database; not signed in."""
    rt.settings = with_secret(rt.settings)
    rt.clock = lambda: TODAY
    with TestClient(create_app(rt, arxiv_fetch=fake_arxiv)) as c:
        yield c


@pytest.fixture
def member(client: TestClient) -> TestClient:
    """The client, signed up and in as `bob`."""
    assert sign_up(client, "bob").status_code == 200
    return client


def _token(client: TestClient) -> str:
    return csrf_from(client, "/submit")


def test_signup_signin_signout(client: TestClient) -> None:
    response = sign_up(client, "carol")
    assert "carol" in response.text and "Sign out" in response.text
    cookie = response.history[0].headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    client.post("/signout", data={"csrf_token": _token(client)})
    assert "Sign out" not in client.get("/").text
    bad = client.post(
        "/signin",
        data={
            "login": "carol",
            "password": "nope-nope",
            "csrf_token": csrf_from(client, "/signin"),
        },
    )
    assert bad.status_code == 400 and "Wrong username" in bad.text
    good = client.post(
        "/signin",
        data={
            "login": "carol@example.org",
            "password": "correct horse",
            "csrf_token": csrf_from(client, "/signin"),
        },
    )
    assert "Sign out" in good.text


def test_signup_refuses_taken_names_and_short_passwords(client: TestClient) -> None:
    assert "already taken" in sign_up(client, "alice").text  # an imported submitter
    assert "at least 8" in sign_up(client, "dave", password="short").text


def test_state_changes_without_csrf_are_refused(member: TestClient, ids: dict[str, int]) -> None:
    pid = ids["Diffusion Models Are Great"]
    assert member.post(f"/papers/{pid}/vote", data={"up": "true"}).status_code == 403
    wrong = {"up": "true", "csrf_token": "forged"}
    assert member.post(f"/papers/{pid}/vote", data=wrong).status_code == 403
    header = {**HTMX, "X-CSRF-Token": _token(member)}
    assert member.post(f"/papers/{pid}/vote", data={"up": "true"}, headers=header).is_success


def test_vote_twice_counts_once_and_unvote_withdraws(
    member: TestClient, ids: dict[str, int]
) -> None:
    pid, headers = ids["Diffusion Models Are Great"], {**HTMX, "X-CSRF-Token": _token(member)}
    for _ in range(2):
        partial = member.post(f"/papers/{pid}/vote", data={"up": "true"}, headers=headers).text
        assert '<span class="count">6</span>' in partial and 'aria-pressed="true"' in partial
    partial = member.post(f"/papers/{pid}/vote", data={"up": "false"}, headers=headers).text
    assert '<span class="count">5</span>' in partial


def test_signed_out_vote_redirects_to_sign_in(client: TestClient, ids: dict[str, int]) -> None:
    token = csrf_from(client, "/signin")
    response = client.post(
        f"/papers/{ids['Older Paper']}/vote", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def test_comments_render_markdown_without_script(member: TestClient, ids: dict[str, int]) -> None:
    pid = ids["Diffusion Models Are Great"]
    body = "**Nice** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.org)"
    headers = {**HTMX, "X-CSRF-Token": _token(member)}
    partial = member.post(f"/papers/{pid}/comments", data={"body": body}, headers=headers).text
    page = member.get("/papers/2406.00001").text
    for html in (partial, page):
        assert "<strong>Nice</strong>" in html
        assert "<script>alert(1)" not in html and 'href="javascript:' not in html
        assert 'href="https://a.org"' in html
    assert "1 comment<" in member.get("/").text


def test_submit_existing_unknown_duplicate_and_invalid(
    member: TestClient, ids: dict[str, int]
) -> None:
    def submit(text: str) -> object:
        return member.post("/submit", data={"paper": text, "csrf_token": _token(member)})

    done = submit("https://arxiv.org/abs/2406.00004v1")
    assert str(done.url).endswith("/papers/2406.00004")  # type: ignore[attr-defined]
    assert "Stored But Never Featured" in member.get("/").text  # today is now the latest day
    dup = submit("2406.00004")
    assert dup.status_code == 409 and 'href="/papers/2406.00004"' in dup.text  # type: ignore[attr-defined]
    fetched = submit("arXiv:2407.11111")
    assert "Fetched From Arxiv" in fetched.text  # type: ignore[attr-defined]
    assert submit("2407.99999").status_code == 400  # type: ignore[attr-defined]
    assert submit("not an id").status_code == 400  # type: ignore[attr-defined]


def test_featuring_rules_once_recent_only_curators_override(
    rt: Runtime, member: TestClient, ids: dict[str, int]
) -> None:
    def submit(text: str, **extra: str) -> Response:
        return member.post("/submit", data={"paper": text, "csrf_token": _token(member), **extra})

    earlier = submit("2406.00003")  # Older Paper: featured on 1 June, not again
    assert earlier.status_code == 409 and "Already featured on 1 Jun 2024" in earlier.text
    assert "Feature it anyway" not in earlier.text  # members cannot override
    rt.clock = lambda: TODAY + timedelta(days=20)  # the never-featured paper is now 24 days old
    old = submit("2406.00004")
    assert old.status_code == 400 and "more than 14 days ago" in old.text
    bob = accounts.find_user(rt.engine, "bob")
    assert bob is not None
    with transaction(rt.engine) as conn:
        users.set_role(conn, bob.id, "curator")
    assert "Feature it anyway" in submit("2406.00004").text
    forced = submit("2406.00004", override="true")
    assert forced.status_code == 200 and str(forced.url).endswith("/papers/2406.00004")
    assert "Older Paper" not in member.get("/").text and "Stored But Never" in member.get("/").text


def test_submitting_while_arxiv_is_offline_offers_a_form_by_hand(member: TestClient) -> None:
    def submit(**fields: str) -> Response:
        return member.post("/submit", data={"csrf_token": _token(member), **fields})

    offline = submit(paper="2407.00000")
    assert offline.status_code == 503
    assert "could not reach arXiv" in offline.text and 'name="abstract"' in offline.text
    assert "Traceback" not in offline.text and "SourceError" not in offline.text
    missing = submit(paper="2407.00000", manual="true", title="By Hand", authors="", abstract="x")
    assert missing.status_code == 400 and "authors: give at least one" in missing.text
    assert 'value="By Hand"' in missing.text  # what was typed is kept
    done = submit(
        paper="2407.00000",
        manual="true",
        title="Entered  By Hand",
        authors="Ada Lovelace, Alan Turing",
        abstract="Written while arXiv was down.",
    )
    page = done.text
    assert str(done.url).endswith("/papers/2407.00000")
    assert "Entered By Hand" in page and "Ada Lovelace, Alan Turing" in page


def test_submit_needs_sign_in(client: TestClient) -> None:
    assert (
        client.get("/submit", follow_redirects=False).headers["location"]
        == "/signin?next=%2Fsubmit"
    )


def test_rate_limit_answers_429(rt: Runtime, ids: dict[str, int]) -> None:
    rt.settings = with_secret(rt.settings).model_copy(update={"rate_limit_votes_per_minute": 2})
    with TestClient(create_app(rt)) as c:
        sign_up(c, "eve")
        headers = {**HTMX, "X-CSRF-Token": _token(c)}
        codes = [
            c.post(f"/papers/{ids['Older Paper']}/vote", headers=headers).status_code
            for _ in range(3)
        ]
    assert codes == [200, 200, 429]


def test_claims_and_curator_actions(rt: Runtime, member: TestClient, ids: dict[str, int]) -> None:
    pid = ids["Diffusion Models Are Great"]
    token = _token(member)
    member.post(f"/papers/{pid}/claim", data={"csrf_token": token})
    member.post(f"/papers/{pid}/comments", data={"body": "spam", "csrf_token": token})
    assert "pending curator review" in member.get("/papers/2406.00001").text
    assert member.get("/claims").status_code == 403
    accounts.create_account(rt.engine, "cura", email=None, password="curator-pass", role="curator")
    member.post("/signout", data={"csrf_token": token})
    member.post(
        "/signin",
        data={
            "login": "cura",
            "password": "curator-pass",
            "csrf_token": csrf_from(member, "/signin"),
        },
    )
    token = _token(member)
    claims_page = member.get("/claims").text
    claim_id = claims_page.split('action="/claims/')[1].split('"')[0]
    member.post(f"/claims/{claim_id}", data={"approve": "true", "csrf_token": token})
    page = member.get("/papers/2406.00001").text
    comment_id = page.split('action="/comments/')[1].split("/")[0]
    member.post(f"/comments/{comment_id}/hide", data={"csrf_token": token})
    member.post(f"/papers/{pid}/feature", data={"day": "2020-01-01", "csrf_token": token})
    assert "Diffusion Models Are Great" in member.get("/papers/date/2020-01-01").text
    member.post(f"/papers/{pid}/unfeature", data={"day": "2020-01-01", "csrf_token": token})
    emptied = member.get("/papers/date/2020-01-01")
    assert emptied.status_code == 200 and "No papers featured on this day" in emptied.text
    profile = member.get("/u/bob").text
    assert "Diffusion Models Are Great" in profile.split("<h2>Authored")[1]
    member.post("/signout", data={"csrf_token": token})
    assert "spam" not in member.get("/papers/2406.00001").text


def test_a_fetched_submission_is_embedded_once_semantic_search_is_on(
    rt: Runtime, member: TestClient
) -> None:
    embedder = load_embedder(threads=2)
    rt.embedder = embedder
    sync(rt.engine, embedder, rt.searcher.dense)  # enables semantic search
    token = _token(member)
    member.post("/submit", data={"paper": "2407.11111", "csrf_token": token})
    with rt.engine.connect() as conn:
        pid = paper_id_for_arxiv(conn, "2407.11111")
        assert pid is not None
        assert search_store.vector_of(conn, pid, embedder.model_id) is not None
    assert pid in {h.paper_id for h in rt.searcher.similar(paper_id(rt, "2406.00001"), 10)}


def test_a_fetched_submission_is_not_embedded_before_semantic_search_is_on(
    rt: Runtime, member: TestClient
) -> None:
    member.post("/submit", data={"paper": "2407.11111", "csrf_token": _token(member)})
    with rt.engine.connect() as conn:
        assert not search_store.has_embeddings(conn, None)
    assert rt.searcher.search("fetched").hits  # found by keyword all the same
