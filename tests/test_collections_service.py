"""Collections' rules over real SQLite and PostgreSQL: names, visibility, ownership, items."""

from __future__ import annotations

import pytest

from dailypapers.errors import Forbidden, InputError, NotFound
from dailypapers.runtime import Runtime
from dailypapers.services import accounts, collections
from dailypapers.store.users import User
from web_helpers import seed


@pytest.fixture
def ids(rt: Runtime) -> dict[str, int]:
    """The seeded papers' ids by title."""
    return seed(rt.engine)


def _member(rt: Runtime, name: str) -> User:
    return accounts.create_account(rt.engine, name, email=None, password="long enough pw")


def test_create_add_view_remove_and_order(rt: Runtime, ids: dict[str, int]) -> None:
    ada = _member(rt, "ada")
    made = collections.create(rt.engine, ada.id, name="  Diffusion   reading ", public=True)
    assert made.name == "Diffusion reading" and made.public and made.size == 0
    first, second = ids["Diffusion Models Are Great"], ids["Older Paper"]
    assert collections.add_paper(rt.engine, made.id, first, owner_id=ada.id)
    assert collections.add_paper(rt.engine, made.id, second, owner_id=ada.id)
    assert not collections.add_paper(rt.engine, made.id, first, owner_id=ada.id)  # once only
    shown = collections.view(rt.engine, made.id, viewer_id=None)
    assert [c.paper.id for c in shown.papers] == [second, first]  # newest addition first
    assert shown.collection.size == 2 and not shown.mine and not shown.has_more
    assert shown.collection.updated_at >= shown.collection.created_at
    assert collections.remove_paper(rt.engine, made.id, first, owner_id=ada.id)
    assert not collections.remove_paper(rt.engine, made.id, first, owner_id=ada.id)
    assert [c.paper.id for c in collections.view(rt.engine, made.id, viewer_id=ada.id).papers] == [
        second
    ]


def test_private_collections_do_not_exist_for_others(rt: Runtime, ids: dict[str, int]) -> None:
    ada, bob = _member(rt, "ada"), _member(rt, "bob")
    secret = collections.create(rt.engine, ada.id, name="Secret", paper_id=ids["Older Paper"])
    assert collections.view(rt.engine, secret.id, viewer_id=ada.id).mine
    for viewer in (None, bob.id):
        with pytest.raises(NotFound):
            collections.view(rt.engine, secret.id, viewer_id=viewer)
    with pytest.raises(NotFound):  # not even "forbidden": the id tells nothing
        collections.add_paper(rt.engine, secret.id, ids["Older Paper"], owner_id=bob.id)
    assert [c.name for c in collections.of_user(rt.engine, "ada", viewer_id=ada.id)] == ["Secret"]
    assert collections.of_user(rt.engine, "ada", viewer_id=bob.id) == []


def test_someone_elses_public_collection_is_read_only(rt: Runtime, ids: dict[str, int]) -> None:
    ada, bob = _member(rt, "ada"), _member(rt, "bob")
    shared = collections.create(rt.engine, ada.id, name="Shared", public=True)
    pid = ids["Older Paper"]
    with pytest.raises(Forbidden, match="belongs to ada"):
        collections.add_paper(rt.engine, shared.id, pid, owner_id=bob.id)
    with pytest.raises(Forbidden):
        collections.remove_paper(rt.engine, shared.id, pid, owner_id=bob.id)
    with pytest.raises(Forbidden):
        collections.edit(
            rt.engine, shared.id, owner_id=bob.id, name="Mine now", description="", public=True
        )
    with pytest.raises(Forbidden):
        collections.delete(rt.engine, shared.id, owner_id=bob.id)
    assert collections.get(rt.engine, shared.id, viewer_id=None).name == "Shared"


def test_names_are_checked(rt: Runtime, ids: dict[str, int]) -> None:
    ada, bob = _member(rt, "ada"), _member(rt, "bob")
    collections.create(rt.engine, ada.id, name="Reading")
    with pytest.raises(InputError, match="already have a collection named 'reading'"):
        collections.create(rt.engine, ada.id, name="reading")
    collections.create(rt.engine, bob.id, name="Reading")  # names are per member
    with pytest.raises(InputError, match="write a name"):
        collections.create(rt.engine, ada.id, name=" \n ")
    too_long = "x" * (collections.MAX_NAME + 1)
    with pytest.raises(InputError, match=f"at most {collections.MAX_NAME} characters"):
        collections.create(rt.engine, ada.id, name=too_long)
    other = collections.create(rt.engine, ada.id, name="Other")
    with pytest.raises(InputError, match="already have"):
        collections.edit(
            rt.engine, other.id, owner_id=ada.id, name="READING", description="", public=False
        )
    renamed = collections.edit(
        rt.engine, other.id, owner_id=ada.id, name="Other", description="Mine.", public=True
    )
    assert renamed.description == "Mine." and renamed.public


def test_unknown_papers_and_collections(rt: Runtime, ids: dict[str, int]) -> None:
    ada = _member(rt, "ada")
    made = collections.create(rt.engine, ada.id, name="Reading")
    with pytest.raises(NotFound, match="no paper with id 999999"):
        collections.add_paper(rt.engine, made.id, 999_999, owner_id=ada.id)
    with pytest.raises(NotFound, match="no paper"):  # nothing is made for a bad first paper
        collections.create(rt.engine, ada.id, name="New", paper_id=999_999)
    assert [c.name for c in collections.of_user(rt.engine, "ada", viewer_id=ada.id)] == ["Reading"]
    with pytest.raises(NotFound):
        collections.view(rt.engine, 424242, viewer_id=ada.id)
    with pytest.raises(NotFound):
        collections.of_user(rt.engine, "nobody", viewer_id=None)
    collections.delete(rt.engine, made.id, owner_id=ada.id)
    with pytest.raises(NotFound):
        collections.view(rt.engine, made.id, viewer_id=ada.id)


def test_picker_marks_the_collections_holding_a_paper(rt: Runtime, ids: dict[str, int]) -> None:
    ada = _member(rt, "ada")
    pid = ids["Older Paper"]
    a = collections.create(rt.engine, ada.id, name="A", paper_id=pid)
    collections.create(rt.engine, ada.id, name="B")
    picked = collections.picker(rt.engine, ada.id, pid)
    assert [c.name for c in picked.collections] == ["A", "B"] and picked.holding == {a.id}
    assert picked.paper.title == "Older Paper"
