"""Collections: named, public or private lists of papers kept by a member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from dailypapers.store.schema import collection_items, collections, users, utcnow


@dataclass(frozen=True, slots=True)
class CollectionRow:
    """A stored collection with its owner's username and how many papers it holds."""

    id: int
    user_id: int
    owner: str
    name: str
    description: str
    is_public: bool
    created_at: datetime
    size: int
    updated_at: datetime  # the last addition, else when it was made


def _rows_query() -> sa.Select[Any]:
    counted = (
        sa.select(
            collection_items.c.collection_id,
            sa.func.count().label("size"),
            sa.func.max(collection_items.c.added_at).label("last_added"),
        )
        .group_by(collection_items.c.collection_id)
        .subquery()
    )
    return (
        sa.select(
            collections.c.id,
            collections.c.user_id,
            users.c.username.label("owner"),
            collections.c.name,
            collections.c.description,
            collections.c.is_public,
            collections.c.created_at,
            sa.func.coalesce(counted.c.size, 0).label("size"),
            sa.func.coalesce(counted.c.last_added, collections.c.created_at).label("updated_at"),
        )
        .join(users, users.c.id == collections.c.user_id)
        .outerjoin(counted, counted.c.collection_id == collections.c.id)
    )


def _row(row: sa.Row[Any]) -> CollectionRow:
    return CollectionRow(**row._mapping)


def create(
    conn: sa.Connection, user_id: int, name: str, *, description: str, is_public: bool
) -> int:
    """Store a new collection; returns its id. A second one of the same name by the same
    member raises IntegrityError (UNIQUE user+name)."""
    values = {
        "user_id": user_id,
        "name": name,
        "description": description,
        "is_public": is_public,
        "created_at": utcnow(),
    }
    return conn.execute(collections.insert().returning(collections.c.id), values).scalar_one()


def get(conn: sa.Connection, collection_id: int) -> CollectionRow | None:
    """One collection, or None if there is no such id."""
    found = conn.execute(_rows_query().where(collections.c.id == collection_id)).one_or_none()
    return _row(found) if found else None


def named(conn: sa.Connection, user_id: int, name: str) -> int | None:
    """The id of this member's collection of this name (compared without case), if any."""
    q = sa.select(collections.c.id).where(
        collections.c.user_id == user_id, sa.func.lower(collections.c.name) == name.lower()
    )
    return conn.execute(q.limit(1)).scalar_one_or_none()


def of_user(conn: sa.Connection, user_id: int, *, public_only: bool) -> list[CollectionRow]:
    """A member's collections by name; only the public ones when asked."""
    q = _rows_query().where(collections.c.user_id == user_id)
    if public_only:
        q = q.where(collections.c.is_public.is_(True))
    return [_row(r) for r in conn.execute(q.order_by(sa.func.lower(collections.c.name)))]


def update(
    conn: sa.Connection, collection_id: int, *, name: str, description: str, is_public: bool
) -> None:
    """Rename, describe and set the visibility of a collection."""
    conn.execute(
        sa.update(collections)
        .where(collections.c.id == collection_id)
        .values(name=name, description=description, is_public=is_public)
    )


def delete(conn: sa.Connection, collection_id: int) -> None:
    """Delete a collection and (by cascade) its items."""
    conn.execute(
        sa.delete(collection_items).where(collection_items.c.collection_id == collection_id)
    )
    conn.execute(sa.delete(collections).where(collections.c.id == collection_id))


def add_item(conn: sa.Connection, collection_id: int, paper_id: int) -> bool:
    """Put a paper in a collection; False if it was already there."""
    if paper_id in contains(conn, [collection_id], paper_id):
        return False
    values = {"collection_id": collection_id, "paper_id": paper_id, "added_at": utcnow()}
    conn.execute(collection_items.insert(), values)
    return True


def remove_item(conn: sa.Connection, collection_id: int, paper_id: int) -> bool:
    """Take a paper out of a collection; False if it was not there."""
    q = sa.delete(collection_items).where(
        collection_items.c.collection_id == collection_id,
        collection_items.c.paper_id == paper_id,
    )
    return conn.execute(q).rowcount == 1


def contains(conn: sa.Connection, collection_ids: list[int], paper_id: int) -> set[int]:
    """Which of these collections hold the paper."""
    if not collection_ids:
        return set()
    q = sa.select(collection_items.c.collection_id).where(
        collection_items.c.paper_id == paper_id,
        collection_items.c.collection_id.in_(set(collection_ids)),
    )
    return set(conn.execute(q).scalars())


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A paper in a collection and when it was added."""

    paper_id: int
    added_at: datetime


def items(conn: sa.Connection, collection_id: int, *, limit: int, offset: int = 0) -> list[ItemRow]:
    """A collection's papers, most recently added first."""
    q = (
        sa.select(collection_items.c.paper_id, collection_items.c.added_at)
        .where(collection_items.c.collection_id == collection_id)
        .order_by(collection_items.c.added_at.desc(), collection_items.c.paper_id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ItemRow(*row) for row in conn.execute(q)]
