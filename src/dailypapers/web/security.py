"""Security plumbing: CSRF tokens, rate limits and response headers (the secret they sign
with comes from `dailypapers.signing.resolve_secret_key`)."""

from __future__ import annotations

import hmac
import secrets
import time

import sqlalchemy as sa
from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.store import rate_limits
from dailypapers.store.database import transaction

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use (so anonymous readers get no cookie)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def csrf_valid(request: Request, submitted: str | None) -> bool:
    """Whether a submitted token matches the session's (constant-time comparison)."""
    expected = request.session.get("csrf")
    return bool(expected and submitted and hmac.compare_digest(str(expected), submitted))


class RateLimiter:
    """At most `limit` hits per key per `window` seconds, counted in the database so that the
    limit holds across every web worker (dailypapers.store.rate_limits)."""

    def __init__(self, engine: sa.Engine, *, window: float = 60.0) -> None:
        self.window = window
        self._engine = engine

    def allow(self, key: str, limit: int) -> bool:
        """Record a hit for `key` and say whether it is within `limit` (0 means no limit).
        Blocking (one short write transaction): call it from a worker thread."""
        if limit <= 0:
            return True
        with transaction(self._engine) as conn:
            return rate_limits.hit(conn, key, limit=limit, window=self.window, now=time.time())

    def reset(self) -> None:
        """Forget all hits (tests)."""
        with transaction(self._engine) as conn:
            rate_limits.clear(conn)


_CSP = (
    "default-src 'self'; script-src 'self'{inline}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_PAGE_HEADERS = [*_COMMON, (b"content-security-policy", _CSP.format(inline="").encode())]
# FastAPI's Swagger page boots with an inline script; only /docs may run one.
_DOCS_HEADERS = [
    *_COMMON,
    (b"content-security-policy", _CSP.format(inline=" 'unsafe-inline'").encode()),
]


class SecurityHeaders:
    """Pure ASGI middleware adding CSP and friends to every HTTP response (cheap per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _DOCS_HEADERS if scope["path"].startswith("/docs") else _PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Pure ASGI middleware refusing a request body over `max_body_bytes` before a route
    reads it, whether announced (Content-Length: 413 at once) or counted as it streams in
    (chunked: 413 when the count passes the cap). Without it one anonymous POST could grow
    the server by its whole size."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit():
            await _refuse(send, 400, "Content-Length is not a number.")
        elif int(declared) > self.max_body_bytes:
            await _refuse(send, 413, self._too_large())
        else:
            await self.app(scope, self._counted(receive), send)

    def _too_large(self) -> str:
        return f"Request bodies are limited to {self.max_body_bytes} bytes."

    def _counted(self, receive: Receive) -> Receive:
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:  # the app's error handler answers 413
                raise HTTPException(413, self._too_large())
            return message

        return counted_receive


async def _refuse(send: Send, status: int, message: str) -> None:
    body = message.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def header_pairs(path: str) -> list[tuple[str, str]]:
    """The security headers of a response to `path`, for responses built outside the
    middleware stack (the 500 handler runs outside it)."""
    extra = _DOCS_HEADERS if path.startswith("/docs") else _PAGE_HEADERS
    return [(k.decode(), v.decode()) for k, v in extra]
