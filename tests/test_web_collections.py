"""Collections over HTTP, in-process: pages, htmx partials, plain forms, RSS and JSON API.

The rules themselves are tested over both databases in test_collections_service.py; here
SQLite is enough to show how each answer reaches a member.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app
from web_helpers import csrf_from, seed, sign_up, with_secret

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def ids(rt: Runtime) -> dict[str, int]:
    """The seeded papers' ids by title."""
    return seed(rt.engine)


@pytest.fixture
def app(rt: Runtime, ids: dict[str, int]) -> object:
    """One app for all the clients of a test (they share its database)."""
    rt.settings = with_secret(rt.settings)
    return create_app(rt)


def _client(app: object, name: str | None) -> Iterator[TestClient]:
    with TestClient(app) as c:  # type: ignore[arg-type]
        if name:
            assert sign_up(c, name).status_code == 200
        yield c


@pytest.fixture
def ada(app: object) -> Iterator[TestClient]:
    """A member, signed in."""
    yield from _client(app, "ada")


@pytest.fixture
def bob(app: object) -> Iterator[TestClient]:
    """Another member, signed in."""
    yield from _client(app, "bob")


@pytest.fixture
def anon(app: object) -> Iterator[TestClient]:
    """A visitor who is not signed in."""
    yield from _client(app, None)


def _token(client: TestClient) -> str:
    return csrf_from(client, "/submit")


def _create(client: TestClient, name: str, *, public: bool, **extra: object) -> int:
    data = {"name": name, "csrf_token": _token(client), **extra}
    if public:
        data["public"] = "true"
    response = client.post("/collections", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_plain_forms_create_add_share_and_remove(
    ada: TestClient, anon: TestClient, ids: dict[str, int]
) -> None:
    cid = _create(ada, "Diffusion <b>reading</b>", public=True, description="Worth it & more")
    pid = ids["Diffusion Models Are Great"]
    picker = ada.get(f"/collections/picker?paper={pid}&next=/papers/2406.00001")
    assert picker.status_code == 200 and 'href="/papers/2406.00001"' in picker.text
    assert "Diffusion &lt;b&gt;reading&lt;/b&gt;" in picker.text  # escaped
    added = ada.post(
        f"/collections/{cid}/add",
        data={"paper_id": pid, "csrf_token": _token(ada), "next": "/papers/2406.00001"},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/papers/2406.00001"
    public = anon.get(f"/collections/{cid}")
    assert public.status_code == 200 and "Diffusion Models Are Great" in public.text
    assert "Worth it &amp; more" in public.text and "Remove" not in public.text
    share = f'<meta property="og:url" content="http://testserver/collections/{cid}">'
    assert share in public.text
    page = ada.get(f"/collections/{cid}").text
    assert "Share this address" in page and f"/collections/{cid}" in page
    ada.post(f"/collections/{cid}/remove", data={"paper_id": pid, "csrf_token": _token(ada)})
    assert "No papers here yet" in anon.get(f"/collections/{cid}").text


def test_htmx_picker_toggles_and_shows_refusals(ada: TestClient, ids: dict[str, int]) -> None:
    pid = ids["Older Paper"]
    headers = {**HTMX, "X-CSRF-Token": _token(ada)}
    partial = ada.get(f"/collections/picker?paper={pid}", headers=HTMX).text
    assert "<html" not in partial and "No collections yet" in partial
    made = ada.post("/collections", data={"name": "Later", "paper_id": pid}, headers=headers)
    assert made.status_code == 200 and 'aria-pressed="true"' in made.text
    cid = int(re.search(r'/collections/(\d+)/remove"', made.text).group(1))  # type: ignore[union-attr]
    again = ada.post("/collections", data={"name": "later", "paper_id": pid}, headers=headers)
    assert again.status_code == 400 and "already have a collection named" in again.text
    assert "data-swap-errors" in again.text  # app.js swaps it in so the message shows
    removed = ada.post(f"/collections/{cid}/remove", data={"paper_id": pid}, headers=headers)
    assert 'aria-pressed="false"' in removed.text
    added = ada.post(f"/collections/{cid}/add", data={"paper_id": pid}, headers=headers)
    assert 'aria-pressed="true"' in added.text


def test_cards_and_paper_pages_offer_save_to_members_only(
    ada: TestClient, anon: TestClient
) -> None:
    for path in ("/papers/date/2024-06-03", "/papers/2406.00001"):
        assert 'class="collect"' in ada.get(path).text
        assert 'class="collect"' not in anon.get(path).text
    assert anon.get("/collections", follow_redirects=False).status_code == 303


def test_bad_input_gets_a_clear_4xx(ada: TestClient, bob: TestClient, ids: dict[str, int]) -> None:
    cid = _create(ada, "Shared", public=True)
    secret = _create(ada, "Secret", public=False)
    pid = ids["Older Paper"]
    long_name = {"name": "x" * 101, "csrf_token": _token(ada)}
    too_long = ada.post("/collections", data=long_name)
    assert too_long.status_code == 400 and "at most 100 characters" in too_long.text
    missing = ada.post(f"/collections/{cid}/add", data={"paper_id": 999, "csrf_token": _token(ada)})
    assert missing.status_code == 404 and "no paper with id 999" in missing.text
    theirs = bob.post(f"/collections/{cid}/add", data={"paper_id": pid, "csrf_token": _token(bob)})
    assert theirs.status_code == 403 and "belongs to ada" in theirs.text
    hidden = bob.post(
        f"/collections/{secret}/add", data={"paper_id": pid, "csrf_token": _token(bob)}
    )
    assert hidden.status_code == 404
    assert bob.get(f"/collections/{secret}").status_code == 404
    assert ada.post(f"/collections/{cid}/add", data={"paper_id": pid}).status_code == 403  # CSRF
    assert bob.get("/collections/picker?paper=999").status_code == 404
    assert bob.get("/collections/abc").status_code in (400, 404)


def test_rss_and_json_api(ada: TestClient, anon: TestClient, ids: dict[str, int]) -> None:
    cid = _create(ada, "Shared", public=True, paper_id=ids["Diffusion Models Are Great"])
    secret = _create(ada, "Secret", public=False, paper_id=ids["Older Paper"])
    rss = anon.get(f"/feeds/collections/{cid}.xml")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(rss.content).find("channel")
    assert channel is not None and channel.findtext("title") == "Shared · collection by ada"
    base = anon.app.state.runtime.settings.public_url  # type: ignore[attr-defined]
    assert [i.findtext("link") for i in channel.iter("item")] == [f"{base}/papers/2406.00001"]
    assert anon.get(f"/feeds/collections/{secret}.xml").status_code == 404
    body = anon.get(f"/api/collections/{cid}").json()
    assert body["name"] == "Shared" and body["owner"] == "ada" and body["size"] == 1
    assert body["url"] == f"{base}/collections/{cid}"
    assert [p["arxiv_id"] for p in body["papers"]] == ["2406.00001"]
    hidden = anon.get(f"/api/collections/{secret}")
    assert hidden.status_code == 404 and "no collection" in hidden.json()["error"]
    assert ada.get(f"/api/collections/{secret}").json()["rss_url"] is None  # owner sees it
    listed = anon.get("/api/collections", params={"owner": "ada"}).json()
    assert [c["name"] for c in listed] == ["Shared"]
    assert {c["name"] for c in ada.get("/api/collections?owner=ada").json()} == {"Shared", "Secret"}
    assert anon.get("/api/collections", params={"owner": "nobody"}).status_code == 404
    schema = anon.get("/openapi.json").json()
    assert "/api/collections/{cid}" in schema["paths"]
    assert "CollectionDetailOut" in schema["components"]["schemas"]


def test_edit_and_delete(ada: TestClient, anon: TestClient) -> None:
    cid = _create(ada, "Draft", public=False)
    assert anon.get(f"/collections/{cid}").status_code == 404
    assert "og:url" not in ada.get(f"/collections/{cid}").text  # private: nothing to share
    ada.post(
        f"/collections/{cid}/edit",
        data={"name": "Final", "public": "true", "csrf_token": _token(ada)},
    )
    assert "Final" in anon.get(f"/collections/{cid}").text
    assert 'href="/u/ada/collections"' in anon.get("/u/ada").text
    assert "Final" in anon.get("/u/ada/collections").text
    ada.post(f"/collections/{cid}/delete", data={"csrf_token": _token(ada)})
    assert anon.get(f"/collections/{cid}").status_code == 404
