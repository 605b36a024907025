"""Accounts: sign-up and sign-in with argon2 hashes, roles, sessions, and admin creation for
the CLI.

Passwords must not be trivial nor among the 5,000 most common ones (a list bundled in
`data/common_passwords.txt`; see its header for source and licence). Sign-up never tells
whether an email address belongs to an account: a taken address is simply not attached to
the new account (user names are public on profile pages, so a taken name is said).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

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
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiopasdfghjklzxcvbnm")


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a password may not be used, or None: too short, one or two characters repeated
    (eight spaces), a keyboard or alphabet run, the user name plus digits, or a common
    password."""
    lowered = password.lower()
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(set(lowered.strip())) <= 2:
        return "too simple: use more than one or two different characters"
    if any(lowered in seq or lowered in seq[::-1] for seq in _SEQUENCES):
        return "too simple: a run of keys or letters is guessed at once"
    if username and re.sub(r"[\W\d_]+", "", lowered) == username.lower():
        return "must not be the user name with digits or signs added"
    if lowered in _common_passwords():
        return "too common: it is on every list of passwords that attackers try first"
    return None


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
    problem = password_problem(password, username=username)
    if problem:
        raise InputError(f"password: {problem}")


def create_account(
    engine: sa.Engine, username: str, *, email: str | None, password: str, role: str = "member"
) -> User:
    """Create an account with a hashed password; a taken user name is an InputError.

    An email address that already belongs to an account is left off the new one rather
    than refused, so that sign-up cannot be used to learn who has an account here.
    """
    username, email = username.strip(), (email or "").strip().lower() or None
    _validate(username, email, password)
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    with engine.connect() as conn:
        if users.find_user(conn, username):
            raise InputError("that username is already taken")
        if email and users.find_user(conn, email):
            email = None
    try:
        with transaction(engine) as conn:
            return users.create_user(
                conn, username, email=email, password_hash=_hasher.hash(password), role=role
            )
    except sa.exc.IntegrityError:  # a concurrent sign-up took the name (or the address)
        raise InputError("that username is already taken, or was just now; try again") from None


def change_password(engine: sa.Engine, user_id: int, password: str) -> None:
    """Set a new password (same rules as sign-up) and end every session of the user."""
    with engine.connect() as conn:
        user = users.get_user(conn, user_id)
    if user is None:
        raise InputError(f"no user with id {user_id}")
    problem = password_problem(password, username=user.username)
    if problem:
        raise InputError(f"password: {problem}")
    with transaction(engine) as conn:
        users.set_password_hash(conn, user_id, _hasher.hash(password))
        users.end_sessions(conn, user_id)


def set_role(engine: sa.Engine, user_id: int, role: str) -> None:
    """Give a user another role (effective on their next request)."""
    if role not in ROLES:
        raise InputError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    with transaction(engine) as conn:
        users.set_role(conn, user_id, role)


def end_sessions(engine: sa.Engine, user_id: int) -> None:
    """Sign a user out everywhere: every session cookie issued so far stops working."""
    with transaction(engine) as conn:
        users.end_sessions(conn, user_id)


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
