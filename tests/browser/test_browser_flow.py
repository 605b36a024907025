"""End to end in chromium: sign up, submit, upvote, comment, search, subscribe; screenshots."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from live_server import SCREENSHOTS, LiveServer

from dailypapers.models import PaperRecord
from dailypapers.store.database import transaction
from dailypapers.store.papers import upsert_papers

pytestmark = pytest.mark.timeout(120)


def _fresh_arxiv_id(server: LiveServer, arxiv_id: str = "2411.00077") -> str:
    """A stored paper published two days ago and never featured: the only kind a member may
    submit (papers are featured once, and only recent ones)."""
    published = server.runtime.now() - timedelta(days=2)
    record = PaperRecord(
        title=f"A Fresh Paper {arxiv_id}",
        abstract="Published this week.",
        authors=["Grace Hopper"],
        arxiv_id=arxiv_id,
        published_at=published,
    )
    with transaction(server.runtime.engine) as conn:
        upsert_papers(conn, [record])
    return arxiv_id


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(live_server: LiveServer, browser: Any, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{live_server.url}/")
    page.screenshot(path=SCREENSHOTS / f"home-{width}.png")
    page.locator(".card .title a").first.click()
    page.wait_for_selector(".paper h1")
    page.screenshot(path=SCREENSHOTS / f"paper-{width}.png")
    page.goto(f"{live_server.url}/search?q=diffusion")
    page.screenshot(path=SCREENSHOTS / f"search-{width}.png")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"horizontal scrolling at {width}px"
    page.close()


def test_member_journey(live_server: LiveServer, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    base = live_server.url
    page.goto(f"{base}/signup")
    page.get_by_label("Username").fill("playwright")
    page.get_by_label("Email").fill("pw@example.org")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign up").click()
    assert page.get_by_role("link", name="playwright").is_visible()

    arxiv_id = _fresh_arxiv_id(live_server)
    page.goto(f"{base}/submit")
    page.get_by_label("arXiv id or URL").fill(f"https://arxiv.org/abs/{arxiv_id}")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"{base}/papers/{arxiv_id}")

    count = page.locator(".paper-head .vote .count")
    before = int(count.inner_text())
    page.locator(".paper-head .vote button").click()
    page.wait_for_selector('.paper-head .vote button[aria-pressed="true"]')
    assert int(count.inner_text()) == before + 1

    page.get_by_label("Add a comment").fill("Great *paper* <script>window.pwned=1</script>")
    page.get_by_role("button", name="Comment").click()
    page.wait_for_selector(".comment-body em")
    assert page.evaluate("window.pwned") is None
    assert page.get_by_label("Add a comment").input_value() == ""  # reset after htmx post

    page.goto(f"{base}/")
    assert page.locator(f'a[href="/papers/{arxiv_id}"]').first.is_visible()
    page.get_by_role("searchbox", name="Search papers").fill("diffusion")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=diffusion"))
    assert page.locator(".results li").count() > 0

    page.goto(f"{base}/subscribe")
    assert page.get_by_label("Email").input_value() == "pw@example.org"
    assert page.get_by_role("radio", name="Weekly").is_visible()
    page.close()


def test_math_is_rendered_by_katex(live_server: LiveServer, browser: Any) -> None:
    record = PaperRecord(
        title="Energy $E = mc^2$ revisited",
        abstract="We bound $\\sum_{i=1}^n x_i < 1$ & show <b>no</b> HTML runs.",
        arxiv_id="2409.00042",
    )
    with transaction(live_server.runtime.engine) as conn:
        upsert_papers(conn, [record])
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/papers/2409.00042")
    page.wait_for_selector(".abstract-text .katex")
    assert page.locator("h1 .katex").count() == 1
    assert page.locator(".abstract-text b").count() == 0
    assert errors == []
    page.close()


def test_comment_form_works_without_javascript(live_server: LiveServer, browser: Any) -> None:
    """The comment form posts with its CSRF token when scripts are off, and a blank comment
    comes back with a message instead of an error page."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/signup")
    page.get_by_label("Username").fill("nojs")
    page.get_by_label("Email").fill("nojs@example.org")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign up").click()
    arxiv_id = _fresh_arxiv_id(live_server, "2411.00078")
    page.goto(f"{base}/papers/{arxiv_id}")
    page.get_by_label("Add a comment").fill("   ")
    page.get_by_role("button", name="Comment").click()
    assert page.locator("#comment-error").inner_text() == "Write something first."
    page.get_by_label("Add a comment").fill("Read it *without* scripts.")
    page.get_by_role("button", name="Comment").click()
    page.wait_for_url(f"{base}/papers/{arxiv_id}#comments")
    assert page.locator(".comment-body em").inner_text() == "without"
    context.close()
