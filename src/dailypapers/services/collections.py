"""Collections: a member's named lists of papers, private or shared by a public URL.

The rules, each defined here once: a private collection does not exist for anyone but its
owner (others get NotFound, so a private collection's id reveals nothing); a public one can
be read by anyone but changed only by its owner (Forbidden); names are unique per member,
ignoring case, and at most MAX_NAME characters; only stored papers can be added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from dailypapers.errors import Forbidden, InputError, NotFound
from dailypapers.models import Paper
from dailypapers.store import collections as store
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers
from dailypapers.store.users import find_user

MAX_NAME = 100
MAX_DESCRIPTION = 2000
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Collection:
    """A collection as pages, feeds and the API show it."""

    id: int
    owner: str
    name: str
    description: str
    public: bool
    size: int
    created_at: datetime
    updated_at: datetime

    @property
    def url(self) -> str:
        """Its page, the address a public collection is shared by."""
        return f"/collections/{self.id}"


def _collection(row: store.CollectionRow) -> Collection:
    return Collection(
        row.id, row.owner, row.name, row.description, row.is_public, row.size,
        row.created_at, row.updated_at,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class CollectedPaper:
    """A paper in a collection and when it was put there."""

    paper: Paper
    added_at: datetime


@dataclass(frozen=True, slots=True)
class CollectionPage:
    """One page of a collection's papers (newest additions first) for one viewer."""

    collection: Collection
    papers: list[CollectedPaper]
    mine: bool
    page: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class Picker:
    """A member's collections and which of them hold one paper (the "Save" menu)."""

    paper: Paper
    collections: list[Collection]
    holding: set[int]


def _visible(conn: sa.Connection, collection_id: int, viewer_id: int | None) -> store.CollectionRow:
    """The collection if this viewer may read it; NotFound if it is missing or private to
    someone else (the same answer, so private ids cannot be probed)."""
    row = store.get(conn, collection_id)
    if row is None or not (row.is_public or row.user_id == viewer_id):
        raise NotFound(f"no collection {collection_id} here")
    return row


def _owned(conn: sa.Connection, collection_id: int, owner_id: int) -> store.CollectionRow:
    """The collection if this member owns it; Forbidden for someone else's public one."""
    row = _visible(conn, collection_id, owner_id)
    if row.user_id != owner_id:
        raise Forbidden(f"collection {row.name!r} belongs to {row.owner}; only they can change it")
    return row


def clean_name(name: str) -> str:
    """The name with runs of white space made single; InputError if empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError("collection name: write a name")
    if len(cleaned) > MAX_NAME:
        raise InputError(
            f"collection name: at most {MAX_NAME} characters (this one has {len(cleaned)})"
        )
    return cleaned


def _clean_description(text: str) -> str:
    cleaned = text.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise InputError(f"collection description: at most {MAX_DESCRIPTION:,} characters")
    return cleaned


def _check_unique(conn: sa.Connection, owner_id: int, name: str, *, keep: int | None) -> None:
    found = store.named(conn, owner_id, name)
    if found is not None and found != keep:
        raise InputError(f"you already have a collection named {name!r}")


def _check_paper(conn: sa.Connection, paper_id: int) -> Paper:
    found = get_papers(conn, [paper_id])
    if not found:
        raise NotFound(f"no paper with id {paper_id}")
    return found[0]


def create(
    engine: sa.Engine,
    owner_id: int,
    *,
    name: str,
    description: str = "",
    public: bool = False,
    paper_id: int | None = None,
) -> Collection:
    """Make a collection (with a first paper when given); InputError for a bad or taken name."""
    cleaned, text = clean_name(name), _clean_description(description)
    try:
        with transaction(engine) as conn:
            _check_unique(conn, owner_id, cleaned, keep=None)
            if paper_id is not None:
                _check_paper(conn, paper_id)
            cid = store.create(conn, owner_id, cleaned, description=text, is_public=public)
            if paper_id is not None:
                store.add_item(conn, cid, paper_id)
    except sa.exc.IntegrityError:  # the same name, created concurrently
        raise InputError(f"you already have a collection named {cleaned!r}") from None
    return get(engine, cid, viewer_id=owner_id)


def edit(
    engine: sa.Engine,
    collection_id: int,
    *,
    owner_id: int,
    name: str,
    description: str,
    public: bool,
) -> Collection:
    """Rename, describe, and make public or private one of the member's collections."""
    cleaned, text = clean_name(name), _clean_description(description)
    with transaction(engine) as conn:
        _owned(conn, collection_id, owner_id)
        _check_unique(conn, owner_id, cleaned, keep=collection_id)
        store.update(conn, collection_id, name=cleaned, description=text, is_public=public)
    return get(engine, collection_id, viewer_id=owner_id)


def delete(engine: sa.Engine, collection_id: int, *, owner_id: int) -> None:
    """Delete one of the member's collections (the papers themselves stay)."""
    with transaction(engine) as conn:
        _owned(conn, collection_id, owner_id)
        store.delete(conn, collection_id)


def add_paper(engine: sa.Engine, collection_id: int, paper_id: int, *, owner_id: int) -> bool:
    """Put a stored paper in one of the member's collections; False if it was there."""
    try:
        with transaction(engine) as conn:
            _owned(conn, collection_id, owner_id)
            _check_paper(conn, paper_id)
            return store.add_item(conn, collection_id, paper_id)
    except sa.exc.IntegrityError:  # added concurrently: the primary key kept it once
        return False


def remove_paper(engine: sa.Engine, collection_id: int, paper_id: int, *, owner_id: int) -> bool:
    """Take a paper out of one of the member's collections; False if it was not there."""
    with transaction(engine) as conn:
        _owned(conn, collection_id, owner_id)
        return store.remove_item(conn, collection_id, paper_id)


def get(engine: sa.Engine, collection_id: int, *, viewer_id: int | None) -> Collection:
    """A collection this viewer may read; NotFound otherwise."""
    with engine.connect() as conn:
        return _collection(_visible(conn, collection_id, viewer_id))


def view(
    engine: sa.Engine, collection_id: int, *, viewer_id: int | None, page: int = 1
) -> CollectionPage:
    """A page of PAGE_SIZE papers of a collection this viewer may read."""
    if page < 1:
        raise InputError("page: the first page is 1")
    with engine.connect() as conn:
        row = _visible(conn, collection_id, viewer_id)
        rows = store.items(conn, collection_id, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        by_id = {p.id: p for p in get_papers(conn, [r.paper_id for r in rows[:PAGE_SIZE]])}
    papers = [CollectedPaper(by_id[r.paper_id], r.added_at) for r in rows[:PAGE_SIZE]]
    mine = row.user_id == viewer_id
    return CollectionPage(_collection(row), papers, mine, page, len(rows) > PAGE_SIZE)


def of_user(engine: sa.Engine, username: str, *, viewer_id: int | None) -> list[Collection]:
    """A member's collections this viewer may read: all of them for the owner, else the
    public ones; NotFound for an unknown member."""
    with engine.connect() as conn:
        user = find_user(conn, username)  # also finds e-mail addresses: compare the name
        if user is None or user.username.lower() != username.lower():
            raise NotFound(f"no user {username!r}")
        rows = store.of_user(conn, user.id, public_only=user.id != viewer_id)
    return [_collection(r) for r in rows]


def picker(engine: sa.Engine, owner_id: int, paper_id: int) -> Picker:
    """The member's collections and which hold this paper; NotFound for an unknown paper."""
    with engine.connect() as conn:
        paper = _check_paper(conn, paper_id)
        rows = store.of_user(conn, owner_id, public_only=False)
        holding = store.contains(conn, [r.id for r in rows], paper_id)
    return Picker(paper, [_collection(r) for r in rows], holding)
