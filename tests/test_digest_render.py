"""The HTML digest in a real browser (Debian chromium via Playwright), desktop and phone."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dailypapers.config import Settings
from dailypapers.digest.compose import Digest, period_for
from dailypapers.digest.render import Links, render_digest
from dailypapers.models import Paper
from dailypapers.store.schema import utcnow
from dailypapers.store.subscriptions import Interests, Subscription

SHOTS = Path(__file__).parent.parent / "test-artifacts" / "screenshots"
LONG = "A very-long-unbreakable-identifier-like-word " * 2 + "with a long abstract " * 30


def paper(n: int, title: str, **extra: object) -> Paper:
    values: dict[str, object] = {
        "id": n, "title": title, "abstract": LONG, "authors": ["Ada Lovelace", "Grace Hopper",
        "Alan Turing", "Edsger W. Dijkstra"], "categories": ["cs.LG"], "arxiv_id": f"2605.0{n}",
        "published_at": None, "updated_at": None, "arxiv_url": f"https://arxiv.org/abs/2605.0{n}",
        "pdf_url": f"https://arxiv.org/pdf/2605.0{n}", "code_url": None, "project_url": None,
        "github_stars": None, "ai_summary": None, "ai_keywords": [], "thumbnail_url": None,
        "upvotes": 100 - n,
    }  # fmt: skip
    values.update(extra)
    return Paper(**values)  # type: ignore[arg-type]


def sample_digest() -> Digest:
    sub = Subscription(1, "r@example.org", Interests(topics=["diffusion"]), "active", 0, None,
                       None, 0, utcnow())  # fmt: skip
    return Digest(
        subscription=sub,
        period=period_for("daily", date(2026, 5, 12)),
        top=[
            paper(
                1,
                "Scaling Diffusion Transformers to a Trillion Parameters Without Tears",
                code_url="https://github.com/example/dit",
            ),
            paper(2, "Agents That Plan: Hierarchical Memory for Test-Time Compute <&> More"),
        ],
        personal=[paper(3, "Tiny Diffusion", ai_summary="A small model that does a lot.")],
        followed=[paper(4, "Quiet Paper by an Author You Follow")],
    )


def test_html_and_text_parts_carry_the_same_papers_and_links() -> None:
    links = Links("https://p.example.org", "https://p.example.org/m/T", "https://p.example.org/u/T")
    rendered = render_digest(sample_digest(), links)
    for p in sample_digest().papers:
        assert p.arxiv_url in rendered.text
        assert p.arxiv_url in rendered.html
    assert "&lt;&amp;&gt;" in rendered.html, "titles are escaped"
    assert "<&>" in rendered.text
    for url in (links.manage_url, links.unsubscribe_url):
        assert url in rendered.text
        assert url in rendered.html


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "light"), (390, "dark")])
def test_screenshot_digest(browser: Any, width: int, scheme: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    links = Links(settings.public_url, f"{settings.public_url}/m", f"{settings.public_url}/u")
    html = tmp_path / "digest.html"
    html.write_text(render_digest(sample_digest(), links).html, encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(html.as_uri())
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=SHOTS / f"digest-{width}-{scheme}.png", full_page=True)
    page.close()
    assert overflow <= 0, "no horizontal scrolling"
