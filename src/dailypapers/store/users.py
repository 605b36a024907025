"""Users: imported submitters now; accounts and roles build on the same table."""

from __future__ import annotations

from collections.abc import Iterable

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
    for name, feature in wanted.items():
        if name not in found:
            found[name] = conn.execute(
                users.insert().returning(users.c.id),
                {
                    "username": name,
                    "display_name": feature.submitter_fullname,
                    "avatar_url": feature.submitter_avatar,
                    "is_imported": True,
                },
            ).scalar_one()
    return found


def count_users(conn: sa.Connection) -> int:
    """How many users exist, imported submitters included."""
    return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()
