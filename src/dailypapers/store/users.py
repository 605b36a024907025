"""Users: imported submitters now; accounts and roles build on the same table."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dailypapers.models import FeatureRecord
from dailypapers.store.schema import users


def ensure_submitters(conn: sa.Connection, features: Iterable[FeatureRecord]) -> dict[str, int]:
    """Ids of the users who submitted these features, creating imported users as needed."""
    wanted = {f.submitted_by: f for f in features if f.submitted_by}
    if not wanted:
        return {}
    q = sa.select(users.c.id, users.c.username).where(users.c.username.in_(wanted))
    found = {row.username: row.id for row in conn.execute(q)}
    missing = [
        {
            "username": name,
            "display_name": f.submitter_fullname,
            "avatar_url": f.submitter_avatar,
            "is_imported": True,
        }
        for name, f in wanted.items()
        if name not in found
    ]
    if missing:
        stmt = users.insert().returning(users.c.id, sort_by_parameter_order=True)
        ids = conn.execute(stmt, missing).scalars().all()
        found.update(zip((m["username"] for m in missing), ids, strict=True))
    return found


def count_users(conn: sa.Connection) -> int:
    """How many users exist, imported submitters included."""
    return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()


@dataclass(frozen=True, slots=True)
class User:
    """An account as services see it; `password_hash` is None for imported submitters."""

    id: int
    username: str
    display_name: str | None
    email: str | None
    role: str
    password_hash: str | None
    session_version: int = 0

    @property
    def is_curator(self) -> bool:
        """Curators and admins may feature any paper on any day, approve claims and hide
        comments: the one place this rule is written (templates read it too)."""
        return self.role in ("curator", "admin")


def _user_query() -> sa.Select[Any]:
    return sa.select(
        users.c.id,
        users.c.username,
        users.c.display_name,
        users.c.email,
        users.c.role,
        users.c.password_hash,
        users.c.session_version,
    )


def create_user(
    conn: sa.Connection,
    username: str,
    *,
    email: str | None,
    password_hash: str,
    role: str = "member",
) -> User:
    """Insert an account; the UNIQUE username/email constraints reject duplicates."""
    values = {"username": username, "email": email, "password_hash": password_hash, "role": role}
    uid = conn.execute(users.insert().returning(users.c.id), values).scalar_one()
    return User(uid, username, None, email, role, password_hash)


def get_user(conn: sa.Connection, user_id: int) -> User | None:
    """The user with this id, if any."""
    row = conn.execute(_user_query().where(users.c.id == user_id)).one_or_none()
    return User(*row) if row else None


def find_user(conn: sa.Connection, name_or_email: str) -> User | None:
    """The user with this username (case-insensitive) or email address, if any."""
    key = name_or_email.strip().lower()
    q = _user_query().where(
        sa.or_(sa.func.lower(users.c.username) == key, sa.func.lower(users.c.email) == key)
    )
    row = conn.execute(q.order_by(users.c.id).limit(1)).one_or_none()
    return User(*row) if row else None


def set_role(conn: sa.Connection, user_id: int, role: str) -> None:
    """Change a user's role (member, curator, admin); sessions read the role on every
    request, so a change takes effect at once without ending them."""
    conn.execute(sa.update(users).where(users.c.id == user_id).values(role=role))


def end_sessions(conn: sa.Connection, user_id: int) -> None:
    """Make every session cookie issued to this user so far invalid."""
    conn.execute(
        sa.update(users)
        .where(users.c.id == user_id)
        .values(session_version=users.c.session_version + 1)
    )


def set_password_hash(conn: sa.Connection, user_id: int, password_hash: str) -> None:
    """Replace a password hash (a rehash of the same password: sessions stay; a new
    password goes through `accounts.change_password`, which also ends them)."""
    conn.execute(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def avatars(conn: sa.Connection, usernames: Collection[str]) -> dict[str, str | None]:
    """Avatar URL (or None) of each named user; FeedEntry carries names only."""
    if not usernames:
        return {}
    q = sa.select(users.c.username, users.c.avatar_url).where(users.c.username.in_(set(usernames)))
    return {r.username: r.avatar_url for r in conn.execute(q)}
