"""How pages load their assets: static URLs versioned by content, static files cached for a
year when the URL names their current content, KaTeX only where there is maths, and the
public address pages give for themselves (canonical and share links)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from dailypapers.config import Settings

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = b"public, max-age=31536000, immutable"
UNVERSIONED = b"public, max-age=3600"
"""Files asked for without their content hash (KaTeX's fonts, named by its CSS; old links)."""

_MATH = re.compile(r"\$[^$\n]+\$|\\\(|\\\[")


def has_math(*texts: str | None) -> bool:
    """Whether any text holds TeX that KaTeX's auto-render would typeset ($…$, \\( or \\[),
    so that pages without it skip KaTeX's 300 KB of CSS, JavaScript and fonts."""
    return any(text and _MATH.search(text) for text in texts)


def papers_have_math(papers: object) -> bool:
    """Whether the title or abstract of any of these papers holds TeX (see has_math)."""
    return any(has_math(p.title, p.abstract) for p in papers)  # type: ignore[attr-defined]


@lru_cache(maxsize=256)
def content_version(path: str) -> str:
    """The first 12 hex digits of the SHA-256 of a static file (read once per process)."""
    file = (STATIC_DIR / path).resolve()
    if not file.is_relative_to(STATIC_DIR.resolve()):
        raise FileNotFoundError(path)
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """The URL of a static file with its content version, cacheable for ever: any change to
    the file changes the URL."""
    return f"/static/{path}?v={content_version(path)}"


class VersionedStaticFiles(StaticFiles):
    """Static files with `Cache-Control`: a year and immutable when the `v` query parameter
    is the file's current content version, an hour otherwise."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the file, adding the Cache-Control header its URL earns."""
        policy = self._policy(scope)

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                message["headers"] = [*message.get("headers", []), (b"cache-control", policy)]
            await send(message)

        await super().__call__(scope, receive, send_cached)

    def _policy(self, scope: Scope) -> bytes:
        path = self.get_path(scope)  # relative to the static folder, as StaticFiles reads it
        query = scope.get("query_string", b"").decode("latin-1")
        wanted = dict(p.partition("=")[::2] for p in query.split("&") if p).get("v")
        try:
            current = content_version(path) if wanted else None
        except OSError:  # no such file: StaticFiles answers 404 (without the header)
            current = None
        return IMMUTABLE if wanted and wanted == current else UNVERSIONED


def public_base(request: Request, settings: Settings) -> str:
    """The instance's public address without a trailing slash: DAILYPAPERS_BASE_URL when it
    was set, else the address this request came to (behind a proxy, run uvicorn with
    `--proxy-headers` so that it is the public one)."""
    if settings.base_url:
        return settings.base_url.rstrip("/")
    return str(request.base_url).rstrip("/")
