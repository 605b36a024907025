"""Concurrent double clicks against the live server: one vote per user per paper."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from live_server import LiveServer

from dailypapers.services import feed


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_parallel_votes_count_once(live_server: LiveServer) -> None:
    latest = feed.latest_date(live_server.runtime.engine)
    assert latest is not None
    target = feed.featured(live_server.runtime.engine, latest, latest)[0].paper
    with httpx.Client(base_url=live_server.url, follow_redirects=True) as client:
        form = client.get("/signup").text
        token = _token(form)
        client.post(
            "/signup", data={"username": "clicker", "password": "double-click", "csrf_token": token}
        )
        token = _token(client.get("/submit").text)  # signing in starts a fresh session
        headers = {"HX-Request": "true", "X-CSRF-Token": token}

        def click(_: int) -> int:
            return client.post(f"/papers/{target.id}/vote", headers=headers).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(click, range(16)))
    assert set(codes) == {200}
    after = feed.featured(live_server.runtime.engine, latest, latest)
    assert next(e.paper.upvotes for e in after if e.paper.id == target.id) == target.upvotes + 1
