"""Security plumbing: the signing secret, CSRF tokens, rate limits and response headers."""

from __future__ import annotations

import hmac
import os
import secrets
import time
from pathlib import Path

import sqlalchemy as sa
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers.config import Settings
from dailypapers.errors import ConfigError
from dailypapers.store import rate_limits
from dailypapers.store.database import transaction

MIN_SECRET = 32
SECRET_FILE = "secret_key"
_UNSAFE_SECRETS = {"changeme", "change-me", "secret", "dev", "development", "test"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def resolve_secret_key(settings: Settings) -> str:
    """The configured secret, or (SQLite only) one generated once and kept in DATA_DIR.

    This one secret signs session cookies, CSRF tokens and email links. A server database
    means a real deployment, possibly on several hosts, so there the secret must be set
    explicitly; an empty, short or placeholder secret is always refused.
    """
    if settings.secret_key is not None:
        return _checked(settings.secret_key)
    if not settings.resolved_database_url.startswith("sqlite"):
        raise ConfigError(
            "DAILYPAPERS_SECRET_KEY is required with a server database: set it to a random "
            f"string of at least {MIN_SECRET} characters (e.g. `openssl rand -hex 32`)"
        )
    return _persisted_secret(settings.data_dir / SECRET_FILE)


def _checked(secret: str) -> str:
    if len(secret) < MIN_SECRET or secret.strip().lower() in _UNSAFE_SECRETS:
        raise ConfigError(
            f"DAILYPAPERS_SECRET_KEY is unsafe: use a random string of at least {MIN_SECRET} "
            "characters (e.g. `openssl rand -hex 32`)"
        )
    return secret


def _persisted_secret(path: Path) -> str:
    """Read the secret file, creating it (mode 0600, O_EXCL so concurrent starts agree)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _checked(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


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
