"""Pages people share and read on phones: share tags, KaTeX only with maths, compression,
versioned static files cached for a year, topic chips, and a readable Sign up button."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dailypapers.models import FeatureRecord, PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.papers import upsert_papers
from dailypapers.store.users import ensure_submitters
from dailypapers.web.app import create_app
from dailypapers.web.assets import STATIC_DIR, has_math
from web_helpers import contrast, seed, with_secret

CSS = Path(STATIC_DIR / "app.css").read_text()
KATEX = "vendor/katex/katex.min.js"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: nothing here depends on the database."""
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


@pytest.fixture
def ids(rt: Runtime) -> dict[str, int]:
    """The seeded papers' ids by title."""
    return seed(rt.engine)


@pytest.fixture
def client(rt: Runtime, ids: dict[str, int]) -> Iterator[TestClient]:
    """A visitor on the seeded database."""
    rt.settings = with_secret(rt.settings)
    with TestClient(create_app(rt)) as c:
        yield c


def _meta(html: str, key: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    assert found, f"no {key} meta tag"
    return found.group(1)


def test_paper_pages_carry_share_tags_with_absolute_urls(client: TestClient) -> None:
    html = client.get("/papers/2406.00002").text
    assert '<link rel="canonical" href="http://testserver/papers/2406.00002">' in html
    assert _meta(html, "og:url") == "http://testserver/papers/2406.00002"
    assert _meta(html, "og:title") == "Evil Abstract Paper"
    description = _meta(html, "og:description")
    assert "<script>" not in description and description.startswith("We show")
    assert _meta(html, "twitter:card") == "summary"
    assert _meta(html, "twitter:title") == "Evil Abstract Paper"


def test_share_tags_use_the_configured_base_url(rt: Runtime, ids: dict[str, int]) -> None:
    rt.settings = with_secret(rt.settings).model_copy(
        update={"base_url": "https://papers.example.org/"}
    )
    # Other hosts are refused once a base URL is set; a plain-http request to the right host
    # still gets the configured https address in its share tags.
    with TestClient(create_app(rt), base_url="http://papers.example.org") as client:
        html = client.get("/papers/2406.00001").text
    assert _meta(html, "og:url") == "https://papers.example.org/papers/2406.00001"


def test_katex_is_loaded_only_where_there_is_maths(client: TestClient) -> None:
    with_math = client.get("/papers/2406.00002").text  # "$a < b$" in its abstract
    assert KATEX in with_math and "katex.min.css" in with_math
    plain = client.get("/papers/2406.00001").text
    assert KATEX not in plain and "katex.min.css" not in plain
    assert KATEX in client.get("/papers/date/2024-06-03").text  # a card with maths
    assert KATEX not in client.get("/papers/date/2024-06-01").text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("costs $5 and $6", True),  # what auto-render would typeset too
        ("energy $E=mc^2$", True),
        (r"inline \(x\) and display \[y\]", True),
        ("costs $5\nand $6", False),
        ("no maths here", False),
        (None, False),
    ],
)
def test_has_math(text: str | None, expected: bool) -> None:
    assert has_math(text) is expected


def test_static_files_are_versioned_and_cached_for_a_year(client: TestClient) -> None:
    html = client.get("/").text
    digest = hashlib.sha256((STATIC_DIR / "app.css").read_bytes()).hexdigest()[:12]
    assert f'href="/static/app.css?v={digest}"' in html
    assert re.search(r'src="/static/app\.js\?v=[0-9a-f]{12}"', html)
    versioned = client.get(f"/static/app.css?v={digest}")
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    for stale in ("/static/app.css", "/static/app.css?v=0123456789ab"):
        assert client.get(stale).headers["cache-control"] == "public, max-age=3600"
    assert client.get("/static/../app.py?v=x").status_code == 404
    assert client.get("/static/nope.css?v=x").status_code == 404


def test_responses_are_gzipped(client: TestClient) -> None:
    for path in ("/", "/static/app.css", "/api/daily_papers"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("content-encoding") == "gzip", path
        assert response.headers["vary"].lower().count("accept-encoding") == 1
    assert "content-encoding" not in client.get("/", headers={"Accept-Encoding": ""}).headers


def test_cards_and_paper_pages_show_ai_keywords_as_topics(rt: Runtime, client: TestClient) -> None:
    feature = FeatureRecord(
        datetime(2024, 6, 3).date(), submitted_by="alice", submitted_at=datetime.now(UTC)
    )
    record = PaperRecord(
        title="Keyworded",
        abstract="Plain.",
        arxiv_id="2406.00009",
        ai_keywords=["diffusion models", "<b>bold</b>"],
        feature=feature,
    )
    with transaction(rt.engine) as conn:
        [pid] = upsert_papers(conn, [record]).paper_ids
        upsert_features(conn, [(pid, feature)], submitter_ids=ensure_submitters(conn, [feature]))
    for path in ("/papers/date/2024-06-03", "/papers/2406.00009"):
        html = client.get(path).text
        assert '<a class="chip" href="/search?q=diffusion%20models">diffusion models</a>' in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'class="chip"' not in client.get("/papers/2406.00001").text  # none stored: none shown


def _theme_colours(css: str) -> dict[str, dict[str, str]]:
    """The colour variables of the light (:root) and dark (prefers-color-scheme) themes."""
    light = re.search(r":root\s*\{(.*?)\}", css, re.S)
    dark = re.search(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    assert light and dark
    variables = re.compile(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})")
    base = dict(variables.findall(light.group(1)))
    return {"light": base, "dark": {**base, **dict(variables.findall(dark.group(1)))}}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_sign_up_is_readable_in_both_themes(theme: str) -> None:
    """The button's text and fill on wide screens, the link on the header on phones; the
    CSS rules that pick those colours are checked too (an earlier `.links a` rule gave the
    button the page's text colour: 3.2:1 light, 1.7:1 dark)."""
    colours = _theme_colours(CSS)[theme]
    assert re.search(r"\.links a\.button\s*\{\s*color:\s*var\(--accent-fg\)", CSS)
    assert re.search(r"\.links a\.signup\s*\{[^}]*color:\s*var\(--link\)", CSS)
    button = contrast(colours["accent-fg"], colours["accent"])
    phone_link = contrast(colours["link"], colours["bg-soft"])
    print(f"{theme}: Sign up button {button:.2f}:1, phone link {phone_link:.2f}:1")
    assert button >= 4.5 and phone_link >= 4.5
