"""Phones and both themes in chromium: header links are 44 px touch targets at 390 px, the
Sign up button keeps AA contrast as rendered, paper pages show topic chips; screenshots."""

from __future__ import annotations

import re
from typing import Any

import pytest
from live_server import SCREENSHOTS, LiveServer, busiest_day_path

from web_helpers import contrast

pytestmark = pytest.mark.timeout(120)

# The rendered text colour and the first opaque background behind it, as #rrggbb.
_COLOURS = """el => {
  const hex = c => '#' + c.match(/\\d+/g).slice(0, 3)
    .map(n => (+n).toString(16).padStart(2, '0')).join('');
  const clear = e => /rgba\\(.*, 0\\)|transparent/.test(getComputedStyle(e).backgroundColor);
  let bg = el;
  while (bg && clear(bg)) bg = bg.parentElement;
  const back = getComputedStyle(bg || document.body).backgroundColor;
  return [hex(getComputedStyle(el).color), hex(back)];
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_sign_up_contrast_as_rendered(
    live_server: LiveServer, browser: Any, width: int, scheme: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    fg, bg = page.locator("header .links a.signup").evaluate(_COLOURS)
    ratio = contrast(fg, bg)
    print(f"Sign up at {width}px, {scheme}: {fg} on {bg} = {ratio:.2f}:1")
    assert ratio >= 4.5
    context.close()


def test_header_links_are_44px_touch_targets_on_phones(
    live_server: LiveServer, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/signup")
    heights = _header_target_heights(page)
    page.get_by_label("Username").fill("phoneuser")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("button", name="Sign out").wait_for()
    signed_in = _header_target_heights(page)
    print(f"header targets at 390px: signed out {heights}, signed in {signed_in}")
    assert {"Sign in", "Sign up"} <= set(heights) and {"Sign out", "Collections"} <= set(signed_in)
    assert min([*heights.values(), *signed_in.values()]) >= 44
    context.close()


def _header_target_heights(page: Any) -> dict[str, float]:
    targets = page.locator("header.site a, header.site button")
    return {
        " ".join(t.inner_text().split()): t.bounding_box()["height"]
        for t in targets.all()
        if t.is_visible()
    }


def test_paper_page_topics_and_screenshots(live_server: LiveServer, browser: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    feed = busiest_day_path(live_server)
    page.goto(feed)
    card = page.locator(".card", has=page.locator(".chip")).first
    chip = card.locator(".chip").first.inner_text()
    card.locator(".title a").click()
    page.wait_for_selector(".paper h1")
    url = page.url
    assert page.locator(".facts .chip", has_text=chip).count() == 1
    assert page.locator('link[rel="canonical"]').get_attribute("href") == url
    assert page.locator('meta[property="og:url"]').get_attribute("content") == url
    page.close()
    for width, height in ((1280, 900), (390, 844)):
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            shot = context.new_page()
            for name, path in (("paper", url), ("feed", feed)):
                shot.goto(path)
                overflow = shot.evaluate("document.documentElement.scrollWidth > innerWidth")
                assert not overflow, f"horizontal scrolling at {width}px on {path}"
                shot.screenshot(path=SCREENSHOTS / f"{name}-{width}-{scheme}.png")
            context.close()
    assert re.match(r"http://127\.0\.0\.1:\d+/papers/", url)
