"""Reading-list export (BibTeX, RIS, CSL-JSON), the whole-data download, account deletion,
feed filters and the CSRF/sign-in guards of the reader's routes; in-process, on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dailypapers.config import Settings
from dailypapers.runtime import Runtime
from dailypapers.services import accounts
from dailypapers.web.app import create_app
from web_helpers import csrf_from, seed, sign_up, with_secret

HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(tmp_path: object) -> Iterator[tuple[TestClient, dict[str, int], Runtime]]:
    settings = Settings(data_dir=tmp_path)  # type: ignore[arg-type]
    rt = Runtime(with_secret(settings))
    rt.ensure_schema()
    ids = seed(rt.engine)
    with TestClient(create_app(rt)) as c:
        yield c, ids, rt
    rt.close()


def test_reading_list_exports_and_the_readers_data_leave_with_them(
    client: tuple[TestClient, dict[str, int], Runtime],
) -> None:
    c, ids, rt = client
    pid = next(iter(ids.values()))
    assert c.post(f"/papers/{pid}/save", data={"saved": "true"}).status_code == 403  # no CSRF
    sign_up(c, "dora")
    token = csrf_from(c, "/settings/reading")
    r = c.post(f"/papers/{pid}/save", data={"csrf_token": token, "saved": "true"}, headers=HTMX)
    assert "On your reading list" in r.text
    assert c.post("/papers/999999/save", data={"csrf_token": token}).status_code == 404

    bib = c.get("/export/reading-list.bib")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert bib.text.startswith("@misc{") and "archivePrefix = {arXiv}" in bib.text
    ris = c.get("/export/reading-list.ris").text
    assert ris.startswith("TY  - ELEC\r\n") and ris.rstrip().endswith("ER  -")
    csl = json.loads(c.get("/export/reading-list.json").text)
    assert len(csl) == 1 and csl[0]["type"] == "article" and csl[0]["author"]
    assert c.get("/export/reading-list.doc").status_code == 404
    assert json.loads(c.get(f"/export/paper/{pid}.json").text)[0]["title"] == csl[0]["title"]

    prefs = {"csrf_token": token, "topics": "x" * 300}
    assert c.post("/settings/reading", data=prefs).status_code == 400
    prefs = {"csrf_token": token, "authors": "Ada Lovelace", "exclude_keywords": "zzz"}
    assert "Your feed has learned it" in c.post("/settings/reading", data=prefs).text

    everything = c.get("/settings/export.json").json()
    assert everything["account"]["username"] == "dora"
    assert [p["title"] for p in everything["reading_list"]] == [csl[0]["title"]]
    assert everything["interests"]["followed_authors"] == ["Ada Lovelace"]
    assert everything["feed_filters"]["exclude_keywords"] == ["zzz"]

    wrong = c.post("/settings/delete-account", data={"csrf_token": token, "confirm": "nope"})
    assert wrong.status_code == 400 and accounts.find_user(rt.engine, "dora") is not None
    c.post("/settings/delete-account", data={"csrf_token": token, "confirm": "dora"})
    assert accounts.find_user(rt.engine, "dora") is None
    assert c.get("/settings/reading", follow_redirects=False).status_code == 303


def test_feed_filters_hide_papers_from_the_signed_in_readers_feed(
    client: tuple[TestClient, dict[str, int], Runtime],
) -> None:
    c, ids, _rt = client
    sign_up(c, "eve")
    token = csrf_from(c, "/settings/reading")
    before = c.get("/").text
    title = next(t for t in ids if t in before)
    word = max(title.split(), key=len)
    c.post("/settings/reading", data={"csrf_token": token, "exclude_keywords": word})
    after = c.get("/").text
    assert title not in after and "hidden by" in after


def test_a_collection_and_a_search_export_too(
    client: tuple[TestClient, dict[str, int], Runtime],
) -> None:
    from dailypapers.services import collections

    c, ids, rt = client
    sign_up(c, "fay")
    fay = accounts.find_user(rt.engine, "fay")
    assert fay is not None
    pid = ids["Diffusion Models Are Great"]
    private = collections.create(rt.engine, fay.id, name="Mine", paper_id=pid)
    ris = c.get(f"/export/collection/{private.id}.ris")
    assert ris.status_code == 200 and "TI  - Diffusion Models Are Great" in ris.text
    c.cookies.clear()  # signed out: a private collection is not there
    assert c.get(f"/export/collection/{private.id}.ris").status_code == 404
    bib = c.get("/export/search.bib", params={"q": "diffusion"})
    assert bib.status_code == 200 and "Diffusion Models Are Great" in bib.text
    assert c.get("/export/search.bib").status_code == 400
