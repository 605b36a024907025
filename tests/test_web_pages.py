"""Web pages in-process over both backends: feed, paper, search, errors, escaping, headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import web_helpers
from dailypapers.config import Settings
from dailypapers.errors import ConfigError
from dailypapers.ingest.loader import load
from dailypapers.models import Parsed
from dailypapers.runtime import Runtime
from dailypapers.services import accounts, community
from dailypapers.services.trending import FORMULA as TRENDING_FORMULA
from dailypapers.signing import resolve_secret_key
from dailypapers.store.community import add_vote
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.papers import paper_id_for_arxiv, upsert_papers
from dailypapers.store.schema import papers
from dailypapers.store.users import ensure_submitters
from dailypapers.web.app import create_app
from web_helpers import paper, seed, with_secret


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    """An in-process client on a seeded database."""
    seed(rt.engine)
    rt.settings = with_secret(rt.settings)
    with TestClient(create_app(rt, arxiv_fetch=lambda ids: [])) as c:
        yield c


def test_home_shows_latest_day_ranked_by_upvotes(client: TestClient) -> None:
    html = client.get("/").text
    evil, diffusion, listing = (
        html.index("Evil Abstract Paper"),
        html.index("Diffusion Models Are Great"),
        html.index("A Listing Page Paper Without Id"),
    )
    assert evil < diffusion < listing
    assert "Older Paper" not in html
    assert 'href="/papers/date/2024-06-01"' in html  # previous day with papers
    assert "<details" in html and "github.com/example/repo" in html
    assert 'type="application/rss+xml" title="Daily papers (RSS)" href="/feeds/daily.xml"' in html


def test_abstract_html_is_escaped_not_executed(client: TestClient) -> None:
    for path in ("/", "/papers/2406.00002"):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "$a &lt; b$ &amp; $E=mc^2$" in html


def test_paper_page_shows_links_dates_and_katex(client: TestClient) -> None:
    html = client.get("/papers/2406.00001").text
    assert "https://arxiv.org/pdf/2406.00001" in html
    assert 'href="/papers/date/2024-06-03"' in html
    assert "/static/vendor/katex/" not in html  # no maths on it (see test_web_assets.py)
    with_math = client.get("/papers/2406.00002").text
    assert "/static/vendor/katex/auto-render.min.js" in with_math
    assert client.get("/static/vendor/katex/auto-render.min.js").status_code == 200


def test_versioned_id_redirects_to_canonical(client: TestClient) -> None:
    response = client.get("/papers/2406.00001v2", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/papers/2406.00001"


def test_paper_without_arxiv_id_lives_at_its_title_until_resolved(
    client: TestClient, rt: Runtime
) -> None:
    slug = "/papers/t/a-listing-page-paper-without-id"
    html = client.get("/").text
    assert f'href="{slug}"' in html and "/papers/id/" not in html
    page = client.get(slug).text
    assert "A Listing Page Paper Without Id" in page and "arXiv:" not in page
    with rt.engine.connect() as conn:
        pid = conn.execute(sa.select(papers.c.id).where(papers.c.arxiv_id.is_(None))).scalar()
    moved = client.get(f"/papers/id/{pid}", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, slug)
    assert client.get("/papers/t/no-such-title").status_code == 404
    # A sync finds it on arXiv: the loader fills the id in, the old URL follows.
    found = paper("2406.09999", "A listing-page paper, without id!", day=None)
    load(rt.engine, [Parsed("arXiv", found)])
    resolved = client.get(slug, follow_redirects=False)
    assert (resolved.status_code, resolved.headers["location"]) == (301, "/papers/2406.09999")


UNKNOWN = [
    "/papers/9999.99999",
    "/papers/id/999999",
    "/papers/date/2024-13-01",
    "/papers/week/2024-W99",
    "/nowhere",
    "/u/nobody",
    "/papers/not-an-id",
]


def test_unknown_things_get_a_friendly_404(client: TestClient) -> None:
    for path in UNKNOWN:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text
        assert "Back to today" in response.text or "No papers featured" in response.text


def test_week_month_and_trending_pages(client: TestClient) -> None:
    week = client.get("/papers/week/2024-W23").text
    assert "Diffusion Models Are Great" in week and "Older Paper" not in week
    month = client.get("/papers/month/2024-06").text
    assert "Older Paper" in month and "Evil Abstract Paper" in month
    trending = client.get("/papers/trending")
    assert trending.status_code == 200
    assert TRENDING_FORMULA in trending.text


def test_date_picker_without_javascript_redirects(client: TestClient) -> None:
    response = client.get("/papers/date?day=2024-06-01", follow_redirects=False)
    assert response.headers["location"] == "/papers/date/2024-06-01"


def test_search_finds_words_in_title_and_abstract(client: TestClient) -> None:
    html = client.get("/search", params={"q": "diffusion"}).text
    assert "<mark>Diffusion</mark> Models Are Great" in html
    assert "/feeds/search.xml?q=diffusion" in html
    assert "No papers match" in client.get("/search", params={"q": "zzzqqq"}).text


def test_security_headers_and_no_cookie_for_anonymous_readers(client: TestClient) -> None:
    response = client.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "set-cookie" not in response.headers


def test_anonymous_api_answers_are_cached_with_their_headers(
    client: TestClient, rt: Runtime
) -> None:
    first = client.get("/api/daily_papers", params={"limit": 1})
    assert first.headers["link"].startswith("<http://testserver/api/daily_papers?")
    with transaction(rt.engine) as conn:  # as another process would write: the cache holds
        conn.execute(sa.update(papers).values(imported_upvotes=papers.c.imported_upvotes + 7))
    again = client.get(
        "/api/daily_papers", params={"limit": 1}, headers={"Authorization": "Bearer token"}
    )
    assert again.content == first.content and again.headers["link"] == first.headers["link"]
    next_page = client.get("/api/daily_papers", params={"limit": 1, "p": 1})
    assert next_page.json() != first.json()  # the query string is part of the key
    client.post("/signout")  # any write through this process clears the cache
    after = client.get("/api/daily_papers", params={"limit": 1}).json()
    assert after[0]["paper"]["upvotes"] == first.json()[0]["paper"]["upvotes"] + 7


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_unsafe_secrets_are_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="unsafe"):
        resolve_secret_key(settings.model_copy(update={"secret_key": "changeme"}))
    server = settings.model_copy(update={"database_url": "postgresql://x@y/z", "secret_key": None})
    with pytest.raises(ConfigError, match="required"):
        resolve_secret_key(server)
    if settings.resolved_database_url.startswith("sqlite"):
        first = resolve_secret_key(settings)
        assert len(first) >= 32 and resolve_secret_key(settings) == first
        assert (settings.data_dir / "secret_key").stat().st_mode & 0o077 == 0


def test_week_and_month_views_step_by_their_period_and_keep_the_date(client: TestClient) -> None:
    week = client.get("/papers/week/2024-W23", params={"day": "2024-06-05"}).text
    assert 'rel="prev" href="/papers/week/2024-W22"' in week  # Older Paper, 1 June, is in W22
    assert 'href="/papers/date/2024-06-05"' in week  # the Day tab goes back to that day
    assert 'href="/papers/month/2024-06?day=2024-06-05"' in week
    assert 'name="view" value="week"' in week and 'value="2024-06-05"' in week
    month = client.get("/papers/month/2024-06").text
    assert "June 2024" in month and 'rel="prev"' not in month  # nothing before June
    assert 'href="/papers/week/2024-W22?day=2024-06-01"' in month  # tabs: the month's first day
    picked = client.get("/papers/date?day=2024-06-05&view=month", follow_redirects=False)
    assert picked.headers["location"] == "/papers/month/2024-06?day=2024-06-05"


def test_an_empty_day_is_a_normal_page_and_long_periods_are_paged(
    client: TestClient, rt: Runtime
) -> None:
    empty = client.get("/papers/date/2024-06-02")
    assert empty.status_code == 200 and "No papers featured on this day" in empty.text
    assert 'rel="prev" href="/papers/date/2024-06-01"' in empty.text
    many = [web_helpers.paper(f"2405.{i:05d}", f"May paper {i}", upvotes=i) for i in range(45)]
    with transaction(rt.engine) as conn:
        ids = upsert_papers(conn, many).paper_ids
        who = ensure_submitters(conn, [r.feature for r in many if r.feature])
        upsert_features(
            conn,
            [
                (pid, replace(r.feature, feature_date=date(2024, 5, 10)))
                for pid, r in zip(ids, many, strict=True)
                if r.feature
            ],
            submitter_ids=who,
        )
    first = client.get("/papers/month/2024-05").text
    assert "45 papers" in first and "Page 1 of 2" in first
    assert "May paper 44" in first and "May paper 0<" not in first
    second = client.get("/papers/month/2024-05", params={"page": 2}).text
    assert "May paper 0<" in second and "May paper 44" not in second and 'start="31"' in second


def test_counts_add_up_and_profiles_page_through_everything(
    client: TestClient, rt: Runtime
) -> None:
    with transaction(rt.engine) as conn:  # Hugging Face had 12 comments on it
        diffusion = paper_id_for_arxiv(conn, "2406.00001")
        assert diffusion is not None
        feat = replace(web_helpers.SEED[0].feature, num_comments=12)  # type: ignore[arg-type]
        upsert_features(conn, [(diffusion, feat)], submitter_ids=ensure_submitters(conn, [feat]))
    ada = accounts.create_account(rt.engine, "ada", email=None, password="a-long-password")
    community.add_comment(rt.engine, user_id=ada.id, paper_id=diffusion, body="Seen here.")
    hidden = community.add_comment(rt.engine, user_id=ada.id, paper_id=diffusion, body="spam")
    community.hide_comment(rt.engine, hidden.id)
    card = client.get("/").text.split("Diffusion Models Are Great")[1].split("</article>")[0]
    assert "1 comment<" in card and "12 on Hugging Face" in card  # never "13 comments"
    page = client.get("/papers/2406.00001").text
    assert page.count('class="comment"') == 1 and "12 on" in page and "spam" not in page

    many = [web_helpers.paper(f"2405.{i:05d}", f"Voted {i}", day=None) for i in range(55)]
    with transaction(rt.engine) as conn:
        for pid in upsert_papers(conn, many).paper_ids:
            add_vote(conn, ada.id, pid)
    first = client.get("/u/ada").text
    assert "Page 1 of 2" in first and 'id="upvoted"' in first and "upvoted <time" in first
    second = client.get("/u/ada", params={"upvoted": 2}).text
    shown = {t for t in re.findall(r">(Voted \d+)<", first + second)}
    assert len(shown) == 55  # no cap: every vote is on one of the pages
