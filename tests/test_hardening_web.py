"""The web app refuses bad values with a 4xx and a message, never a 500 (issue 11: items 1,
2, 7, 11 and 13), on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import feedparser
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dailypapers.config import load_settings
from dailypapers.errors import ConfigError
from dailypapers.models import FeatureRecord, PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.services import feed
from dailypapers.signing import Signer
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.papers import upsert_papers
from dailypapers.store.users import ensure_submitters
from dailypapers.web.app import create_app
from digest_helpers import mail_server
from smtp_server import Recorder
from web_helpers import DAY, csrf_from, seed, sign_up, with_secret

HUGE = "99999999999999999999999"
BAD_GETS = [
    "/api/daily_papers?p=2e17",
    "/api/daily_papers?p=200000000000000000",
    f"/api/papers/{HUGE}",
    f"/papers/id/{HUGE}",
    "/papers/date/0001-01-01",
    "/papers/week/9999-W52",
    "/papers/week/0001-W01",
    "/papers/month/0001-01",
    "/api/daily_papers?week=9999-W52",
    "/search?q=x&until=9999-12-31",
    "/search?q=%00abc",
    "/api/papers/search?q=%00",
    "/feeds/search.xml?q=%00",
    "/u/%00x",
]


@pytest.fixture
def rt_seeded(rt: Runtime) -> Runtime:
    rt.settings = with_secret(rt.settings)
    rt.settings.rate_limit_auth_per_minute = 0
    seed(rt.engine)
    return rt


@pytest.fixture
def client(rt_seeded: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt_seeded), raise_server_exceptions=False) as c:
        yield c


def _answered(response: object, statuses: tuple[int, ...] = (400, 404)) -> bool:
    status = getattr(response, "status_code", 0)
    return status in statuses and bool(getattr(response, "text", "").strip())


def test_bad_values_in_paths_and_queries_are_4xx(client: TestClient) -> None:
    answers = {url: client.get(url) for url in BAD_GETS}
    wrong = {url: r.status_code for url, r in answers.items() if not _answered(r)}
    assert not wrong


def test_actions_on_missing_or_impossible_ids_are_4xx(client: TestClient) -> None:
    sign_up(client, "bob", "plum tractor lantern")
    headers = {"x-csrf-token": csrf_from(client, "/submit")}
    for pid in ("99999", HUGE):
        for action in ("vote", "comments", "claim"):
            r = client.post(f"/papers/{pid}/{action}", data={"body": "hi"}, headers=headers)
            assert _answered(r), (pid, action, r.status_code)
    missing = client.post("/papers/99999/comments", data={"body": "hi"}, headers=headers)
    assert missing.status_code == 404


def test_nul_in_a_form_is_400(client: TestClient) -> None:
    token = csrf_from(client, "/signin")
    for path, data in [
        ("/signin", {"login": "a\x00b", "password": "x"}),
        ("/subscribe", {"email": "a\x00b@example.org"}),
        ("/signup", {"username": "a\x00b", "password": "plum tractor lantern"}),
    ]:
        r = client.post(path, data={**data, "csrf_token": token})
        assert r.status_code == 400 and "NUL" in r.text, path


def test_control_characters_in_stored_text_keep_feeds_valid(
    rt_seeded: Runtime, client: TestClient
) -> None:
    """Rows written below the import checks (older imports) still make valid XML."""
    record = PaperRecord(
        title="Bell\x07 title",
        abstract="Vertical\x0btab",
        authors=["Nul\x01 Author"],
        arxiv_id="2406.09999",
        feature=FeatureRecord(DAY, submitted_by="alice"),
    )
    with transaction(rt_seeded.engine) as conn:
        pid = upsert_papers(conn, [record]).paper_ids[0]
        assert record.feature is not None
        upsert_features(
            conn,
            [(pid, record.feature)],
            submitter_ids=ensure_submitters(conn, [record.feature]),
        )
    for url in (
        f"/feeds/daily.xml?date={DAY}",
        f"/feeds/daily.atom?date={DAY}",
        "/feeds/search.xml?q=%05abc",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert feedparser.parse(response.content).bozo == 0, url
    titles = [e.title for e in feedparser.parse(client.get("/feeds/daily.xml").content).entries]
    assert "Bell title" in titles


def test_far_future_feature_does_not_pin_the_home_page(
    rt_seeded: Runtime, client: TestClient
) -> None:
    far = PaperRecord(
        title="From the future",
        abstract="x",
        arxiv_id="2406.08888",
        feature=FeatureRecord(date(9999, 12, 31), submitted_by="alice"),
    )
    with transaction(rt_seeded.engine) as conn:
        pid = upsert_papers(conn, [far]).paper_ids[0]
        assert far.feature is not None
        upsert_features(
            conn, [(pid, far.feature)], submitter_ids=ensure_submitters(conn, [far.feature])
        )
    home = client.get("/")
    assert "From the future" not in home.text and "Diffusion Models Are Great" in home.text


def test_405_says_which_methods_are_allowed(client: TestClient) -> None:
    for path in ("/search", "/api/daily_papers"):
        response = client.put(path)
        assert response.status_code == 405 and response.headers["allow"] == "GET"


def test_a_500_carries_the_security_headers(
    rt_seeded: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(rt_seeded)
    _add_crashing_route(app)
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.CRITICAL):
        response = c.get("/crash")
    assert response.status_code == 500
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def _add_crashing_route(app: FastAPI) -> None:
    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("boom")


def test_links_come_from_base_url_and_other_hosts_are_refused(
    rt_seeded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = "https://papers.example.org"
    with mail_server(monkeypatch, Recorder()) as smtp:
        rt_seeded.settings = load_settings(base_url=None, rate_limit_auth_per_minute=0)
        with TestClient(create_app(rt_seeded), base_url="http://evil.example") as c:
            token = csrf_from(c, "/subscribe")
            c.post("/subscribe", data={"email": "v@example.org", "csrf_token": token})
        body = smtp.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"{rt_seeded.settings.public_url}/subscribe/confirm/" in body
        assert "evil" not in str(smtp.messages[0])
        rt_seeded.settings.base_url = base
        app = create_app(rt_seeded)
        with TestClient(app, base_url="http://evil.example") as evil:
            assert evil.get("/").status_code == 400
            assert evil.get("/feeds/daily.xml").status_code == 400
        with TestClient(app, base_url=base) as good:
            feed = good.get("/feeds/daily.xml")
            assert feed.status_code == 200 and f"{base}/papers/" in feed.text


def test_email_links_refuse_an_unsafe_secret(rt: Runtime) -> None:
    """One resolver checks the secret for cookies and email links alike."""
    with pytest.raises(ConfigError, match="unsafe"):
        Signer.from_settings(rt.settings.model_copy(update={"secret_key": "short"}))


def test_only_http_links_are_rendered(rt_seeded: Runtime, client: TestClient) -> None:
    """A row stored before the import check (or edited by hand) still shows no `javascript:`
    link: not on the paper page, the feed's cards, the API, nor in what digests are made of."""
    record = PaperRecord(
        title="Scripted links",
        abstract="x",
        arxiv_id="2406.07777",
        code_url="javascript:alert(1)",
        project_url="data:text/html,<script>alert(1)</script>",
        thumbnail_url="vbscript:msgbox(1)",
        upvotes=99,
        feature=FeatureRecord(DAY, submitted_by="alice"),
    )
    with transaction(rt_seeded.engine) as conn:
        pid = upsert_papers(conn, [record]).paper_ids[0]
        assert record.feature is not None
        upsert_features(
            conn, [(pid, record.feature)], submitter_ids=ensure_submitters(conn, [record.feature])
        )
    for url in ("/papers/2406.07777", "/", "/api/papers/2406.07777", "/api/daily_papers"):
        response = client.get(url)
        assert response.status_code == 200 and "Scripted links" in response.text, url
        for scheme in ("javascript:", "data:text", "vbscript:"):
            assert scheme not in response.text, (url, scheme)
    (entry,) = [e for e in feed.featured(rt_seeded.engine, DAY, DAY) if e.paper.id == pid]
    assert entry.paper.code_url is None and entry.paper.project_url is None
