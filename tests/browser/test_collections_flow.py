"""Collections end to end in chromium: a member signs up, makes a public collection from a
feed card, adds from a paper page (with and without JavaScript), shares the address, a
visitor reads it and its RSS signed out, and the member removes a paper."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from live_server import SCREENSHOTS, LiveServer, busiest_day_path

pytestmark = pytest.mark.timeout(120)


def _sign_up(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("link", name=name).wait_for()


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".card .title a").all_inner_texts()]


def test_collection_flow(live_server: LiveServer, browser: Any) -> None:
    base = live_server.url
    member = browser.new_context(viewport={"width": 1280, "height": 900})
    page = member.new_page()
    _sign_up(page, base, "collector")

    feed = busiest_day_path(live_server)
    page.goto(feed)
    first_card = page.locator(".card").first
    first_title = first_card.locator(".title a").inner_text().strip()
    first_card.locator("summary.collect-btn").click()  # htmx loads the picker on first open
    first_card.get_by_placeholder("New collection…").fill("Weekend reading")
    first_card.get_by_label("Public").check()
    first_card.get_by_role("button", name="Create & add").click()
    first_card.locator('.pick[aria-pressed="true"]', has_text="Weekend reading").wait_for()

    page.locator(".card .title a").nth(1).click()
    page.wait_for_selector(".paper h1")
    second_title = page.locator(".paper h1").inner_text().strip()
    page.locator("summary.collect-btn").click()
    page.locator(".pick", has_text="Weekend reading").click()
    page.locator('.pick[aria-pressed="true"]', has_text="Weekend reading").wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "paper-saved-1280.png")

    page.get_by_role("link", name="Collections", exact=True).click()
    page.get_by_role("link", name="Weekend reading").click()
    share_url = page.get_by_label("Share this address:").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/collections/\d+", share_url)
    assert _titles(page) == [second_title, first_title]  # newest addition first
    page.screenshot(path=SCREENSHOTS / "collection-owner-1280.png", full_page=True)

    no_js = browser.new_context(java_script_enabled=False, storage_state=member.storage_state())
    plain = no_js.new_page()
    plain.goto(feed)
    third = plain.locator(".card").nth(2)
    third_title = third.locator(".title a").inner_text().strip()
    third.locator("summary.collect-btn").click()
    third.get_by_role("link", name="Choose a collection…").click()
    plain.locator(".pick", has_text="Weekend reading").click()  # a plain form with CSRF
    plain.locator('.pick[aria-pressed="true"]', has_text="Weekend reading").wait_for()
    no_js.close()

    visitor = browser.new_context(viewport={"width": 390, "height": 844})
    anon = visitor.new_page()
    anon.goto(share_url)
    assert _titles(anon) == [third_title, second_title, first_title]
    assert anon.get_by_role("link", name="Sign in", exact=True).is_visible()
    assert anon.locator("summary.collect-btn").count() == 0
    rss = anon.request.get(f"{share_url.replace('/collections/', '/feeds/collections/')}.xml")
    assert rss.ok and rss.headers["content-type"].startswith("application/rss+xml")
    items = ET.fromstring(rss.body()).iter("item")
    assert [i.findtext("title") for i in items] == [third_title, second_title, first_title]

    page.reload()
    page.get_by_role("button", name=re.compile(r"^Remove .* from this collection$")).first.click()
    page.locator(".cards > li").nth(2).wait_for(state="detached")  # htmx took it out
    anon.reload()
    assert _titles(anon) == [second_title, first_title]
    _screenshots(browser, share_url)
    member.close()
    visitor.close()


def _screenshots(browser: Any, url: str) -> None:
    """The shared collection in both themes, on a desktop and a phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            page = context.new_page()
            page.goto(url)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"horizontal scrolling at {width}px"
            page.screenshot(path=SCREENSHOTS / f"collection-{width}-{scheme}.png", full_page=True)
            context.close()
