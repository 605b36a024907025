"""The instance secret, and signed, expiring tokens for email links (confirm, manage,
unsubscribe).

Each kind of link is signed with its own salt, so a manage or unsubscribe token can never
be replayed as a confirmation and vice versa. Tokens carry the subscription id and its
token version: bumping the version (a fresh subscription) retires every older link.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dailypapers.config import Settings
from dailypapers.errors import ConfigError, InputError

Purpose = Literal["confirm", "manage", "unsubscribe"]
SECRET_FILE = "secret_key"
MIN_SECRET = 32
_UNSAFE_SECRETS = {"changeme", "change-me", "secret", "dev", "development", "test"}


class InvalidToken(InputError):
    """A link whose token is forged, for another purpose, or expired."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a token vouches for: a subscription and the version of its links."""

    subscription_id: int
    version: int


def resolve_secret_key(settings: Settings) -> str:
    """The instance secret: the configured one, or (SQLite only) one generated once and kept
    in DATA_DIR/secret_key.

    This one secret signs session cookies, CSRF tokens and email links, so every user of it
    comes here. A server database means a real deployment, possibly on several hosts, so
    there the secret must be set explicitly; an empty, short or placeholder secret is always
    refused, wherever it comes from.
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


class Signer:
    """Makes and checks the tokens of email links for one secret."""

    def __init__(self, secret: str, *, confirm_max_age: timedelta) -> None:
        self._secret = secret
        self._confirm_max_age = confirm_max_age

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        """A signer with the instance secret and the configured confirmation window."""
        return cls(
            resolve_secret_key(settings),
            confirm_max_age=timedelta(days=settings.confirm_max_age_days),
        )

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt=f"dailypapers.subscription.{purpose}")

    def make(self, purpose: Purpose, claims: TokenClaims) -> str:
        """A URL-safe token for `purpose` carrying `claims`."""
        return str(self._serializer(purpose).dumps([claims.subscription_id, claims.version]))

    def read(self, purpose: Purpose, token: str) -> TokenClaims:
        """The claims of a valid token; confirmation tokens also expire."""
        max_age = int(self._confirm_max_age.total_seconds()) if purpose == "confirm" else None
        try:
            sid, version = self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired:
            raise InvalidToken("this link has expired: subscribe again") from None
        except (BadSignature, ValueError, TypeError):
            raise InvalidToken("this link is not valid") from None
        if not isinstance(sid, int) or not isinstance(version, int):
            raise InvalidToken("this link is not valid")
        return TokenClaims(sid, version)
