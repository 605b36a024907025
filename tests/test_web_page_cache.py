"""The anonymous page cache as ASGI middleware: one render per page at a time, stale copies
while it runs, and writes that no render begun before them can outlive."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from dailypapers.web.page_cache import (
    CACHE_STALE_SECONDS,
    CACHE_TTL_SECONDS,
    AnonymousPageCache,
    FragmentCache,
)


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Site:
    """The app behind the cache: counts renders, holds each one until `gate` opens, and
    answers with the version current when the render began; POST makes a new version."""

    def __init__(self) -> None:
        self.version = 1
        self.renders = 0
        self.gate = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            self.version += 1
            body = b"saved"
        else:
            self.renders += 1
            body = f"v{self.version}".encode()  # what the database said when it was read
            await self.gate.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright keeps an event
    loop running in the main thread for the whole session, where asyncio.run refuses to."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, scenario).result()


async def request(cache: AnonymousPageCache, method: str = "GET", path: str = "/") -> bytes:
    """One anonymous request through the cache; the response body."""
    scope: Scope = {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await cache(scope, receive, send)
    return b"".join(m.get("body", b"") for m in sent)


async def started(*requests: Coroutine[Any, Any, bytes]) -> list[asyncio.Task[bytes]]:
    """Start the requests and let each run until it blocks."""
    tasks = [asyncio.ensure_future(r) for r in requests]
    for _ in range(10):
        await asyncio.sleep(0)
    return tasks


def test_concurrent_misses_share_one_render() -> None:
    async def scenario() -> None:
        site = Site()
        cache = AnonymousPageCache(site, clock=Clock())
        tasks = await started(*(request(cache) for _ in range(16)))
        site.gate.set()
        assert await asyncio.gather(*tasks) == [b"v1"] * 16
        assert site.renders == 1

    run(scenario())


async def kept_then_aged(age: float) -> tuple[Site, AnonymousPageCache]:
    """A cache holding the page at v1, `age` seconds later, with the site at v2 and its
    renders held at a closed gate."""
    site, clock = Site(), Clock()
    cache = AnonymousPageCache(site, clock=clock)
    site.gate.set()
    assert await request(cache) == b"v1"
    site.version, site.gate = 2, asyncio.Event()
    clock.now += age
    return site, cache


def test_an_expired_page_is_served_stale_while_one_request_refreshes_it() -> None:
    async def scenario() -> None:
        site, cache = await kept_then_aged(CACHE_TTL_SECONDS + 1)
        refresh, *others = await started(*(request(cache) for _ in range(16)))
        assert all(t.done() for t in others) and not refresh.done()
        assert {t.result() for t in others} == {b"v1"}
        site.gate.set()
        assert await refresh == b"v2"
        assert await request(cache) == b"v2" and site.renders == 2

    run(scenario())


def test_a_page_too_old_to_serve_stale_is_waited_for() -> None:
    async def scenario() -> None:
        site, cache = await kept_then_aged(CACHE_TTL_SECONDS + CACHE_STALE_SECONDS)
        tasks = await started(*(request(cache) for _ in range(4)))
        assert not any(t.done() for t in tasks)
        site.gate.set()
        assert await asyncio.gather(*tasks) == [b"v2"] * 4
        assert site.renders == 2

    run(scenario())


async def write_during_a_render() -> tuple[Site, AnonymousPageCache, asyncio.Task[bytes]]:
    """A GET whose render (of v1) is held at the gate while a POST makes v2."""
    site = Site()
    cache = AnonymousPageCache(site, clock=Clock())
    (before,) = await started(request(cache))
    assert await request(cache, "POST", "/vote") == b"saved"
    return site, cache, before


def test_a_render_begun_before_a_write_is_not_kept() -> None:
    async def scenario() -> None:
        site, cache, before = await write_during_a_render()
        site.gate.set()
        assert await before == b"v1"  # asked before the write: its own answer may be old
        assert await request(cache) == b"v2"
        assert site.renders == 2

    run(scenario())


def test_a_request_after_a_write_does_not_wait_for_a_render_begun_before_it() -> None:
    async def scenario() -> None:
        site, cache, before = await write_during_a_render()
        (after,) = await started(request(cache))
        assert site.renders == 2  # rendering anew, not waiting for the old render
        site.gate.set()
        assert await asyncio.gather(before, after) == [b"v1", b"v2"]

    run(scenario())


class Counter:
    """The shared generation as a plain counter (the database's is tested on two real nodes
    in test_two_nodes.py)."""

    def __init__(self) -> None:
        self.value = 0

    def read(self) -> int | None:
        return self.value

    def bump(self) -> None:
        self.value += 1


def test_a_write_through_another_process_drops_this_ones_pages_at_once() -> None:
    async def scenario() -> None:
        site, shared = Site(), Counter()
        site.gate.set()
        node_a = AnonymousPageCache(site, clock=Clock(), shared=shared)
        node_b = AnonymousPageCache(site, clock=Clock(), shared=shared)
        assert await request(node_b) == b"v1" and await request(node_b) == b"v1"
        assert site.renders == 1
        assert await request(node_a, "POST", "/vote") == b"saved"
        assert shared.value == 1
        assert await request(node_b) == b"v2"  # well within the TTL, yet not the old copy
        assert await request(node_b) == b"v2" and site.renders == 2

    run(scenario())


def test_fragments_are_reused_until_a_write_or_the_ttl() -> None:
    """The fragment cache renders only the keys it lacks, keeps nothing across a write (on
    any node: the shared generation) nor past the TTL, and a render begun before a write
    that finishes after another request saw it is not kept."""
    clock, shared, version = Clock(), Counter(), [1]
    cache: FragmentCache[str] = FragmentCache(shared, clock=clock)
    rendered: list[list[str]] = []

    def render(keys: list[str]) -> dict[str, bytes]:
        rendered.append(keys)
        return {k: f"{k}{version[0]}".encode() for k in keys if k != "gone"}

    assert cache.get(["a", "b"], render) == [b"a1", b"b1"]
    assert cache.get(["b", "gone", "c"], render) == [b"b1", b"c1"]
    assert rendered == [["a", "b"], ["gone", "c"]]
    version[0] = 2
    shared.bump()
    assert cache.get(["a", "b"], render) == [b"a2", b"b2"]
    clock.now += CACHE_TTL_SECONDS - 0.1
    assert cache.get(["a"], render) == [b"a2"] and len(rendered) == 3
    clock.now += 0.1
    assert cache.get(["a"], render) == [b"a2"] and len(rendered) == 4
    # Read at generation 0, rendered after this process saw 1: served, kept under 0 only.
    assert cache.get(["d"], render, generation=0) == [b"d2"]
    assert cache.get(["d"], render) == [b"d2"] and rendered[-2:] == [["d"], ["d"]]
    # A counter that went back (a restored database) still lets pieces be kept.
    shared.value = 0
    assert cache.get(["e"], render) == cache.get(["e"], render) == [b"e2"]
    assert rendered[-2:] == [["d"], ["e"]]  # rendered once
