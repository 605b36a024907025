"""Accounts: sign-up and sign-in with argon2 hashes, roles, and admin creation for the CLI."""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dailypapers.errors import InputError
from dailypapers.store import users
from dailypapers.store.database import transaction
from dailypapers.store.users import User

ROLES = ("member", "curator", "admin")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,38}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so sign-in takes as long either way;
    made on first use rather than at import (a quarter second every CLI start)."""
    return _hasher.hash("timing-equaliser")


def _validate(username: str, email: str | None, password: str) -> None:
    if not _USERNAME.match(username):
        raise InputError(
            "username: 2 to 39 characters, letters, digits, '.', '_' or '-', starting with "
            "a letter or digit"
        )
    if email is not None and not _EMAIL.match(email):
        raise InputError(f"email: {email!r} is not an email address")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters")


def create_account(
    engine: sa.Engine, username: str, *, email: str | None, password: str, role: str = "member"
) -> User:
    """Create an account with a hashed password; refuses taken names/emails with InputError."""
    username, email = username.strip(), (email or "").strip().lower() or None
    _validate(username, email, password)
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    with engine.connect() as conn:
        if users.find_user(conn, username) or (email and users.find_user(conn, email)):
            raise InputError("that username or email is already taken")
    try:
        with transaction(engine) as conn:
            return users.create_user(
                conn, username, email=email, password_hash=_hasher.hash(password), role=role
            )
    except sa.exc.IntegrityError:
        raise InputError("that username or email is already taken") from None


def authenticate(engine: sa.Engine, name_or_email: str, password: str) -> User | None:
    """The user if the password matches; None otherwise (same answer for unknown users)."""
    with engine.connect() as conn:
        user = users.find_user(conn, name_or_email)
    if user is None or user.password_hash is None:
        _verify(_dummy_hash(), password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with transaction(engine) as conn:
            users.set_password_hash(conn, user.id, _hasher.hash(password))
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_user(engine: sa.Engine, user_id: int) -> User | None:
    """The user with this id (the session stores only the id)."""
    with engine.connect() as conn:
        return users.get_user(conn, user_id)


def find_user(engine: sa.Engine, name: str) -> User | None:
    """The user with this username or email."""
    with engine.connect() as conn:
        return users.find_user(conn, name)


def is_curator(user: User | None) -> bool:
    """Curators and admins may feature papers, approve claims and hide comments."""
    return user is not None and user.is_curator
