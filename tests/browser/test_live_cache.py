"""The anonymous page cache on the real server: a replayed page is byte-for-byte the first."""

from __future__ import annotations

import httpx
from live_server import LiveServer


def test_a_cached_page_is_replayed_unchanged(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        first = client.get("/papers/trending")
        replays = [client.get("/papers/trending") for _ in range(3)]
    assert all(r.content == first.content for r in replays)
    assert all(r.headers.get_list("x-frame-options") == ["DENY"] for r in replays)
    assert len({tuple(name for name, _ in r.headers.raw) for r in replays}) == 1
