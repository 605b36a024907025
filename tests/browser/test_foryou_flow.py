"""/for-you end to end in chromium: a reader picks a topic and an author on the settings
page, sees the month ranked for them with a reason on each card, puts one on the reading
list, and "not interested" re-ranks the list at once (htmx) and without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from live_server import SCREENSHOTS, LiveServer

pytestmark = pytest.mark.timeout(180)

MONTH = "/for-you?period=month&day=2026-08-18"


def _sign_up(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("link", name=name).wait_for()


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#foryou-list > .cards .title a").all_inner_texts()]


def _shots(context: Any, base: str, name: str) -> None:
    for width, height in ((1280, 900), (390, 844)):
        for scheme in ("light", "dark"):
            page = context.new_page()
            page.set_viewport_size({"width": width, "height": height})
            page.emulate_media(color_scheme=scheme)
            page.goto(f"{base}{name[1]}")
            full = name[0].startswith("settings")  # the lists are below the form
            page.screenshot(path=SCREENSHOTS / f"{name[0]}-{width}-{scheme}.png", full_page=full)
            page.close()


def test_for_you_learns_explains_and_forgets(live_server: LiveServer, browser: Any) -> None:
    base = live_server.url
    reader = browser.new_context(viewport={"width": 1280, "height": 900})
    page = reader.new_page()
    _sign_up(page, base, "reader13")
    page.goto(f"{base}{MONTH}")
    assert page.locator(".notice", has_text="don't know your taste yet").is_visible()

    page.get_by_role("link", name="Your interests & reading list").click()
    page.get_by_label("Topics").fill("video generation")
    page.get_by_label("Authors you follow").fill("Ziwei Liu")
    page.get_by_role("button", name="Save").click()
    page.locator(".notice", has_text="Your feed has learned it").wait_for()

    page.goto(f"{base}{MONTH}")
    reasons = page.locator("#foryou-list .reason").all_inner_texts()
    assert reasons and not page.locator(".notice", has_text="don't know").count()
    assert any("whom you follow" in r for r in reasons)
    assert any("Matches your topic “video generation”" in r for r in reasons)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _shots(reader, base, ("for-you", MONTH))  # as the interests alone rank it

    first = page.locator(".card").first
    first.get_by_role("button", name="Read later").click()
    first.get_by_role("button", name="✓ On your reading list").wait_for()

    before = _titles(page)
    page.locator(".card").nth(1).get_by_role("button", name="Not interested").click()
    page.wait_for_function(
        "t => !Array.from(document.querySelectorAll('#foryou-list .title a'))"
        ".some(a => a.textContent.trim() === t)",
        arg=before[1],
    )
    after = _titles(page)
    assert before[1] not in after and after[0] == before[0]

    _shots(reader, base, ("for-you-after-marks", MONTH))
    _shots(reader, base, ("settings-reading", "/settings/reading"))

    no_js = browser.new_context(java_script_enabled=False, storage_state=reader.storage_state())
    plain = no_js.new_page()
    plain.goto(f"{base}{MONTH}")
    gone = _titles(plain)[0]
    plain.locator(".card").first.get_by_role("button", name="Not interested").click()
    plain.wait_for_url(f"**{MONTH}")
    assert gone not in _titles(plain)
    plain.goto(f"{base}/settings/reading")
    listed = plain.locator("#not-interested + ul").inner_text()
    assert gone in listed and before[1] in listed
    no_js.close()
    reader.close()
