"""Signed, expiring tokens for email links (confirm, manage, unsubscribe).

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
from dailypapers.errors import InputError

Purpose = Literal["confirm", "manage", "unsubscribe"]
SECRET_FILE = "secret_key"


class InvalidToken(InputError):
    """A link whose token is forged, for another purpose, or expired."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a token vouches for: a subscription and the version of its links."""

    subscription_id: int
    version: int


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or the one persisted in DATA_DIR/secret_key (created on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    return path.read_text().strip()


def _create_secret(path: Path) -> None:
    """Write a fresh secret readable by the owner only; a concurrent creator wins the race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))


class Signer:
    """Makes and checks the tokens of email links for one secret."""

    def __init__(self, secret: str, *, confirm_max_age: timedelta) -> None:
        self._secret = secret
        self._confirm_max_age = confirm_max_age

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        """A signer with the instance secret and the configured confirmation window."""
        return cls(
            secret_key(settings),
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
