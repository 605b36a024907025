"""The anonymous page cache: one render of a read-only page serves every anonymous visitor
until something is written, on this node or any other; and the fragment cache, which keeps
the encoded pieces pages are made of (the JSON of one API item) by the same rule.

Each web process keeps its own copies, so with several processes (workers, nodes) a write
must reach all of them: every write (any non-GET request, an import, a sync) bumps the
`pages` generation in the database, and each cacheable request first reads it (one
primary-key lookup); a generation that moved drops every page and every render under way,
exactly as a write through this process does. The bump happens when the write's response
starts, before its client can ask any node for the result.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Generic, NamedTuple, Protocol, TypeVar

import sqlalchemy as sa
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.store import generations
from dailypapers.store.database import transaction

log = logging.getLogger(__name__)

_CACHEABLE = re.compile(r"^/(?:papers/.*|search|api/(?:daily_papers|papers/.+))?$")
CACHE_TTL_SECONDS = 5.0
CACHE_STALE_SECONDS = 5.0
CACHE_MAX_PAGES = 512
CACHE_MAX_FRAGMENTS = 5000  # ~6 kB each for a daily item: ~30 MB per process at most


_GENERATION_READ = "dailypapers.generation"


def generation_read(scope: Scope) -> int | None:
    """The shared generation the page cache read as this request came in, if it read one
    (it reads none for signed-in visitors): the fragment cache need not read it again."""
    value: int | None = scope.get(_GENERATION_READ)
    return value


class _Page(NamedTuple):
    rendered_at: float  # when its render began: it shows data at least that fresh
    messages: list[Message]


class SharedGeneration(Protocol):
    """A counter every node can read and bump (the database's, or a test's)."""

    def read(self) -> int | None:
        """The current value; None when it cannot be read (then nothing is served cached)."""

    def bump(self) -> None:
        """Add one, telling every node that what it rendered may be out of date."""


class DatabaseGeneration:
    """The `pages` generation in the database all nodes share."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def read(self) -> int | None:
        """One primary-key lookup; None if the database is unreachable."""
        try:
            return generations.read(self.engine)
        except (sa.exc.SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error) as exc:
            log.warning("page cache: cannot read the generation: %s", exc)
            return None

    def bump(self) -> None:
        """One upsert in its own short transaction."""
        try:
            with transaction(self.engine) as conn:
                generations.bump(conn)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("page cache: cannot bump the generation: %s", exc)


class AnonymousPageCache:
    """Serve repeated anonymous GETs of read-only pages (feed, paper, search) and of the JSON
    API from memory.

    Anonymous responses carry no per-visitor content (no CSRF token, no votes; the API ignores
    `Authorization`), so one rendering serves everyone; the key holds the method, scheme,
    host (pages print absolute links, as does the API's `Link`), path and query string.
    Any write through this process clears the cache at once, and a render that was under
    way during a write is not kept; with a `shared` generation, so do writes made by other
    processes (more workers, other nodes, the CLI); without one they show up within
    CACHE_TTL_SECONDS.

    One render per page at a time: when a page expires under load, the first request renders
    it; requests arriving meanwhile get the expired copy if it is younger than
    CACHE_TTL_SECONDS + CACHE_STALE_SECONDS, else wait for that render, instead of every
    connection rendering the same page at once (which made the p99 tail).
    """

    def __init__(
        self,
        app: ASGIApp,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedGeneration | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.shared = shared
        self._generation: int | None = None  # the shared generation the kept pages were read at
        self._pages: OrderedDict[str, _Page] = OrderedDict()
        self._renders: dict[str, asyncio.Event] = {}  # keys being rendered; set when done
        self._writes = 0  # bumped around each write; a render that saw it change is not kept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await self._write(scope, receive, send)
            return
        key = self._key(scope)
        if key is None or not self._same_generation(scope):
            await self.app(scope, receive, send)
            return
        page, render = self._pages.get(key), self._renders.get(key)
        servable_for = CACHE_TTL_SECONDS + (CACHE_STALE_SECONDS if render else 0.0)
        if page and self.clock() - page.rendered_at < servable_for:
            await _replay(page, send)
        elif render is None:
            await self._render_and_keep(key, scope, receive, send)
        else:
            await render.wait()
            page = self._pages.get(key)
            if page and self.clock() - page.rendered_at < CACHE_TTL_SECONDS:
                await _replay(page, send)
            else:  # that render was not kept (an error, a redirect, a write): do our own
                await self.app(scope, receive, send)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a write, dropping every page before and after it, and tell the other
        processes as its response starts (the write is committed by then)."""
        self._invalidate()

        async def announce(message: Message) -> None:
            if message["type"] == "http.response.start":
                if self.shared is not None:
                    await asyncio.to_thread(self.shared.bump)
                self._invalidate()
            await send(message)

        try:
            await self.app(scope, receive, announce)
        finally:
            self._invalidate()

    def _same_generation(self, scope: Scope) -> bool:
        """Whether the shared generation is the one the kept pages were read at; if another
        process wrote since, drop them (as for a local write). False when it is unknown.
        What was read is left in the scope for the fragment cache (`generation_read`)."""
        if self.shared is None:
            return True
        current = self.shared.read()
        if current is None:
            return False
        scope[_GENERATION_READ] = current
        if current != self._generation:
            self._invalidate()
            self._generation = current
        return True

    def _invalidate(self) -> None:
        """Forget every page and every render under way: nothing read before a write may be
        served after it (the renders finish, but are not kept nor waited for)."""
        self._pages.clear()
        self._renders.clear()
        self._writes += 1

    def _key(self, scope: Scope) -> str | None:
        """The cache key, or None when this request must be rendered for its viewer."""
        if scope.get("session", {}).get("uid") or not _CACHEABLE.match(scope["path"]):
            return None
        headers = dict(scope["headers"])
        if b"hx-request" in headers:
            return None
        host = headers.get(b"host", b"").decode("latin-1")
        query = scope["query_string"].decode("latin-1")
        # `Accept: text/markdown` turns a paper page into markdown: a different answer.
        kind = " md" if b"text/markdown" in headers.get(b"accept", b"") else ""
        key = f"{scope['method']} {scope.get('scheme', 'http')}://{host}{scope['path']}?{query}"
        return key + kind

    async def _render_and_keep(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Render for this request, keeping a copy unless a write happened meanwhile; requests
        for the same key wait on `done` (or get the stale copy) until then."""
        done = self._renders[key] = asyncio.Event()
        writes, started = self._writes, self.clock()
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(_copy(message))  # outer middleware edits the one it is sent
            await send(message)

        try:
            await self.app(scope, receive, keep)
            status = messages[0].get("status") if messages else None
            complete = all(m.get("more_body") is not True for m in messages[1:])
            if writes == self._writes and status in (200, 404) and complete:
                self._pages[key] = _Page(started, messages)
                self._pages.move_to_end(key)
                while len(self._pages) > CACHE_MAX_PAGES:
                    self._pages.popitem(last=False)
        finally:
            if self._renders.get(key) is done:
                del self._renders[key]
            done.set()


async def _replay(page: _Page, send: Send) -> None:
    """Send copies of a kept page's messages (see `_copy`)."""
    for message in page.messages:
        await send(_copy(message))


def _copy(message: Message) -> Message:
    """A message whose header list is its own: outer middleware appends to the list it is
    sent, which on a cached page would pile the same headers up on every replay."""
    copied = dict(message)
    if "headers" in copied:
        copied["headers"] = list(copied["headers"])
    return copied


K = TypeVar("K", bound=Hashable)


class FragmentCache(Generic[K]):
    """Encoded pieces of answers by key (one API item's JSON by its feature), reused by
    every request, anonymous or not, that asks for the same piece: kept while the shared
    generation stays the one they were read at, and for at most CACHE_TTL_SECONDS (writes
    that bump no generation show up as late as on cached pages, no later).

    Thread-safe enough for route threads: each generation gets a dict of its own, so a render
    begun before a write, finishing after another thread saw the new generation, fills the
    old dict, which nobody reads any more (see `_for`).
    """

    def __init__(
        self,
        shared: SharedGeneration,
        clock: Callable[[], float] = time.monotonic,
        max_items: int = CACHE_MAX_FRAGMENTS,
    ) -> None:
        self.shared = shared
        self.clock = clock
        self.max_items = max_items
        self._kept: tuple[int, OrderedDict[K, tuple[float, bytes]]] = (-1, OrderedDict())

    def get(
        self,
        keys: Sequence[K],
        render: Callable[[list[K]], Mapping[K, bytes]],
        *,
        generation: int | None = None,
    ) -> list[bytes]:
        """The pieces of `keys`, in order: kept ones, and for the others what `render`
        returns for them (it may leave out keys that no longer exist: they are skipped).
        `generation`: the shared one as read for this request before anything else was
        (`generation_read`), else it is read here; either way before `render` reads
        anything, so what it returns is at least as new as the generation it is kept under."""
        started = self.clock()
        if generation is None:
            generation = self.shared.read()
        if generation is None:  # cannot tell whether anything kept is current
            found = render(list(keys))
            return [found[k] for k in keys if k in found]
        kept = self._for(generation)
        fresh_after = started - CACHE_TTL_SECONDS
        pieces: list[bytes | None] = []
        missing: list[K] = []
        for key in keys:
            piece = kept.get(key)
            if piece is not None and piece[0] > fresh_after:
                pieces.append(piece[1])
            else:
                pieces.append(None)
                missing.append(key)
        if not missing:
            return pieces  # type: ignore[return-value]  # no None left
        rendered = render(missing)
        for key, text in rendered.items():
            kept.pop(key, None)  # to the end (not move_to_end: another thread may trim it)
            kept[key] = (started, text)
        self._trim(kept)
        filled = (
            p if p is not None else rendered.get(k) for k, p in zip(keys, pieces, strict=True)
        )
        return [p for p in filled if p is not None]

    def _for(self, generation: int) -> OrderedDict[K, tuple[float, bytes]]:
        """The pieces kept at `generation`: a new, empty dict when it is another one than
        last seen (a write; or a database restored with an older counter, where waiting for
        a larger one would keep nothing for days). A thread that read the generation just
        before a write and gets here after another saw the write empties the cache once,
        harmlessly: what it keeps is under the old generation, which the next request drops."""
        seen, kept = self._kept
        if generation == seen:
            return kept
        fresh: OrderedDict[K, tuple[float, bytes]] = OrderedDict()
        self._kept = (generation, fresh)
        return fresh

    def _trim(self, kept: OrderedDict[K, tuple[float, bytes]]) -> None:
        """Forget the oldest pieces beyond max_items."""
        try:
            while len(kept) > self.max_items:
                kept.popitem(last=False)
        except KeyError:  # another thread emptied it meanwhile
            pass
