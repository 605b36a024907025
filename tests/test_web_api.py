"""The Hugging Face-compatible JSON API through an in-process client, on SQLite and PostgreSQL.

The app here holds only the API router and, after it, a stand-in for the HTML paper route
`/papers/{arxiv_id:path}`: the order `create_app` must keep for `/papers/{id}.md`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

import hf_sample
from dailypapers.ingest.hf_daily import ARCHIVE_FIELDS
from dailypapers.ingest.loader import import_file, load
from dailypapers.models import FeatureRecord, PaperRecord, Parsed
from dailypapers.runtime import Runtime
from dailypapers.services import hf_api
from dailypapers.store.community import add_comment, add_vote, set_comment_hidden
from dailypapers.store.database import transaction
from dailypapers.store.features import add_feature
from dailypapers.store.papers import paper_id_for_arxiv
from dailypapers.store.schema import papers
from dailypapers.store.users import create_user
from dailypapers.web import api

HF_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DAY = "2025-06-02"


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    """A client for the API router (plus an HTML-like paper route after it) on sample data."""
    hf_sample.load(rt)
    app = FastAPI()
    app.state.runtime = rt
    app.include_router(api.router)

    @app.get("/papers/{arxiv_id:path}")
    def html_page(arxiv_id: str) -> dict[str, str]:
        return {"html_page": arxiv_id}

    with TestClient(app) as test_client:
        yield test_client


def _expected_ids(day: str) -> set[str]:
    return {r["paper"]["id"] for r in hf_sample.by_feed_date()[day]}


def _assert_error(response: object, status: int) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and body["error"]
    assert response.headers["x-error-message"] == body["error"]  # type: ignore[attr-defined]


def test_daily_items_have_hugging_face_fields(client: TestClient) -> None:
    items = client.get("/api/daily_papers", params={"date": DAY}).json()
    raw = {r["paper"]["id"]: r for r in hf_sample.by_feed_date()[DAY]}
    assert {i["paper"]["id"] for i in items} == set(raw)
    for item in items:
        paper, source = item["paper"], raw[item["paper"]["id"]]
        assert paper["title"] == source["paper"]["title"] and item["title"] == source["title"]
        assert paper["authors"] == source["paper"]["authors"]
        assert paper["upvotes"] == source["paper"]["upvotes"]
        assert paper["summary"] == item["summary"] == source["paper"]["summary"]
        assert paper["publishedAt"] == source["paper"]["publishedAt"]
        assert paper["submittedOnDailyAt"] == source["paper"]["submittedOnDailyAt"]
        assert item["publishedAt"] == source["publishedAt"]
        assert item["submittedBy"] == source["submittedBy"]
        assert item["numComments"] == source["numComments"]
        for field in ("githubRepo", "projectPage", "ai_summary", "ai_keywords"):
            assert paper.get(field) == source["paper"].get(field)
            assert field not in item  # HF has them in `paper` only
        assert item["dailypapers"] == {"numComments": 0, "featureDate": DAY}
        stamps = [item["publishedAt"], paper["publishedAt"], paper["submittedOnDailyAt"]]
        assert all(HF_TIMESTAMP.match(s) for s in stamps)


def test_newest_submission_first_and_old_shape_without_submitter(client: TestClient) -> None:
    items = client.get("/api/daily_papers", params={"date": "2024-06-03"}).json()
    assert {i["paper"]["id"] for i in items} == _expected_ids("2024-06-03")
    stamps = [i["publishedAt"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    assert all("submittedBy" not in i for i in items)


def test_paging_link_header_and_empty_past_the_end(client: TestClient) -> None:
    first = client.get("/api/daily_papers", params={"week": "2025-W23", "limit": 7})
    assert len(first.json()) == 7
    next_url = re.fullmatch(r'<(.+)>; rel="next"', first.headers["link"])
    assert next_url and "p=1" in next_url[1] and "week=2025-W23" in next_url[1]
    second = client.get(next_url[1])
    assert len(second.json()) == 3 and "link" not in second.headers
    ids = [i["paper"]["id"] for i in first.json() + second.json()]
    assert set(ids) == _expected_ids(DAY) | _expected_ids("2025-06-03") and len(ids) == 10
    assert client.get("/api/daily_papers", params={"week": "2025-W23", "p": 5}).json() == []


def test_limits_are_capped(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit over the cap serves the cap, and the next-page link asks for what was served,
    so following it neither skips nor repeats items."""
    monkeypatch.setattr(hf_api, "MAX_DAILY_LIMIT", 3)
    monkeypatch.setattr(hf_api, "MAX_SEARCH_LIMIT", 2)
    daily = client.get("/api/daily_papers", params={"limit": 1000})
    assert len(daily.json()) == 3
    next_url = re.fullmatch(r'<(.+)>; rel="next"', daily.headers["link"])
    assert next_url and "limit=3" in next_url[1] and "p=1" in next_url[1]
    second = client.get(next_url[1]).json()
    assert len(second) == 3
    assert not {i["paper"]["id"] for i in second} & {i["paper"]["id"] for i in daily.json()}
    assert len(client.get("/api/papers/search", params={"q": "model", "limit": 1000}).json()) == 2


def test_no_period_lists_everything_and_filters(client: TestClient) -> None:
    everything = client.get("/api/daily_papers", params={"limit": 100}).json()
    assert len(everything) == len(hf_sample.records())
    month = client.get("/api/daily_papers", params={"month": "2024-06"}).json()
    assert {i["paper"]["id"] for i in month} == _expected_ids("2024-06-03")
    someone = everything[0]["submittedBy"]["name"]
    theirs = client.get("/api/daily_papers", params={"submitter": someone}).json()
    assert theirs and all(i["submittedBy"]["name"] == someone for i in theirs)
    trending = client.get("/api/daily_papers", params={"date": DAY, "sort": "trending"}).json()
    votes = [i["paper"]["upvotes"] for i in trending]
    assert votes == sorted(votes, reverse=True)


BAD_PARAMS = [
    {"date": "2025-13-01"},
    {"date": "yesterday"},
    {"week": "2025-W60"},
    {"month": "2025-1"},
    {"date": DAY, "month": "2025-06"},
    {"p": -1},
    {"p": "first"},
    {"limit": 0},
    {"sort": "upvotes"},
]


def test_bad_parameters_are_400_with_error_json(client: TestClient) -> None:
    for params in BAD_PARAMS:
        _assert_error(client.get("/api/daily_papers", params=params), 400)


def test_paper_info_markdown_and_404(client: TestClient) -> None:
    source = hf_sample.by_feed_date()[DAY][0]["paper"]
    info = client.get(f"/api/papers/{source['id']}v1", headers={"Authorization": "Bearer x"})
    assert info.status_code == 200
    assert info.json()["id"] == source["id"] and info.json()["upvotes"] == source["upvotes"]
    markdown = client.get(f"/papers/{source['id']}.md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith(f"# {info.json()['title']}\n")
    assert source["summary"] in markdown.text
    assert client.get(f"/papers/{source['id']}").json() == {"html_page": source["id"]}
    _assert_error(client.get("/api/papers/2101.00001"), 404)
    _assert_error(client.get("/api/papers/not-an-id"), 404)
    _assert_error(client.get("/papers/2101.00001.md"), 404)


def _marked(item: dict[str, Any]) -> set[str]:
    """The words an API item highlights, lower-cased."""
    spans = item["highlightedTitle"] + item["highlightedSummary"]
    assert all(set(s) == {"type", "text"} and s["type"] in ("text", "highlight") for s in spans)
    return {s["text"].lower() for s in spans if s["type"] == "highlight"}


def _joined(spans: list[dict[str, str]]) -> str:
    return "".join(s["text"] for s in spans)


def test_search_highlights_spans(client: TestClient) -> None:
    """Search is hybrid (any word; meaning too once vectors exist; this store has none), so
    the best match has every word, each result at least one; highlights are HF's lists of
    `{type, text}` spans that put the text back together unchanged (no HTML in them)."""
    items = client.get("/api/papers/search", params={"q": "diffusion VIDEO"}).json()
    assert items
    top = (items[0]["paper"]["title"] + " " + items[0]["paper"]["summary"]).lower()
    assert "diffusion" in top and "video" in top
    assert _marked(items[0]) == {"diffusion", "video"}
    for item in items:
        paper = item["paper"]
        text = (paper["title"] + " " + paper["summary"]).lower()
        assert "diffusion" in text or "video" in text
        assert _marked(item) and _marked(item) <= {"diffusion", "video"}
        assert _joined(item["highlightedTitle"]) == " ".join(paper["title"].split())
        assert _joined(item["highlightedSummary"]) == paper["summary"]
        assert item["upvoted"] is False and item["publishedAt"]
        assert "thumbnail" in item or "mediaUrl" in item  # 2024 items have mediaUrl
    quoted = client.get("/api/papers/search", params={"q": "Don't look only once"}).json()
    assert "Don't" in _joined(quoted[0]["highlightedTitle"])
    assert client.get("/api/papers/search", params={"q": "zzzqqq"}).json() == []
    assert client.get("/api/papers/search").json() == []


def test_search_by_arxiv_id_puts_that_paper_first(client: TestClient) -> None:
    source = hf_sample.by_feed_date()[DAY][3]["paper"]
    for q in (source["id"], f"{source['id']}v2", f"arXiv:{source['id']}"):
        found = client.get("/api/papers/search", params={"q": q}).json()
        assert found[0]["paper"]["id"] == source["id"], q


def test_papers_list_by_published_date_with_cursor(client: TestClient) -> None:
    seen: list[dict[str, Any]] = []
    url: str | None = "/api/papers?limit=5"
    while url:
        response = client.get(url)
        page = response.json()
        assert 0 < len(page) <= 5
        seen += page
        link = re.fullmatch(r'<(.+)>; rel="next"', response.headers.get("link", ""))
        url = link[1] if link else None
    assert [p["id"] for p in seen] == [p["id"] for p in sorted(
        seen, key=lambda p: (p["publishedAt"], p["id"]), reverse=True
    )]  # fmt: skip
    assert {p["id"] for p in seen} == {r["paper"]["id"] for r in hf_sample.records()}
    _assert_error(client.get("/api/papers", params={"cursor": "not-a-cursor"}), 400)
    _assert_error(client.get("/api/papers", params={"limit": 0}), 400)


def test_paper_detail_links_repos_and_comments_field(client: TestClient) -> None:
    paper_id = hf_sample.by_feed_date()[DAY][0]["paper"]["id"]
    detail = client.get(f"/api/papers/{paper_id}").json()
    for kind in ("Models", "Datasets", "Spaces"):
        assert detail[f"linked{kind}"] == [] and detail[f"numTotal{kind}"] == 0
    assert (
        client.get(f"/api/papers/{paper_id}", params={"field": "comments"}).json()["comments"] == []
    )
    _assert_error(client.get(f"/api/papers/{paper_id}", params={"field": "nope"}), 400)
    repos = client.get(f"/api/arxiv/{paper_id}v1/repos")
    assert repos.json() == {"models": [], "datasets": [], "spaces": []}
    _assert_error(client.get("/api/arxiv/2101.00001/repos"), 404)


def test_papers_hf_never_sent_get_hf_fields_from_ours(client: TestClient, rt: Runtime) -> None:
    """An arXiv paper featured here (no HF record) is served in HF's shape from our data; a
    paper without an arXiv id is in no HF route (an internal number would pass for an id)."""
    when = datetime(2026, 1, 5, 8, tzinfo=UTC)
    feature = FeatureRecord(when.date(), submitted_by="alice", submitted_at=when)
    ours = PaperRecord(title="Local Paper", abstract="Found here.", arxiv_id="2601.00001",
                       authors=["A. Author"], published_at=datetime(2026, 1, 2, tzinfo=UTC),
                       ai_keywords=["local words"], thumbnail_url="https://example.org/t.png",
                       feature=feature)  # fmt: skip
    no_id = PaperRecord(title="No Id Paper", abstract="Found here too.", feature=feature)
    load(rt.engine, [Parsed("test:1", ours), Parsed("test:2", no_id)])
    [item] = client.get("/api/daily_papers", params={"date": "2026-01-05"}).json()
    assert item["paper"]["id"] == "2601.00001" and item["title"] == "Local Paper"
    assert item["paper"]["authors"] == [{"name": "A. Author", "hidden": False}]
    assert item["paper"]["upvotes"] == 0 and item["numComments"] == 0
    assert item["paper"]["submittedOnDailyBy"]["name"] == item["submittedBy"]["name"] == "alice"
    assert item["publishedAt"] == item["paper"]["submittedOnDailyAt"] == "2026-01-05T08:00:00.000Z"
    assert item["paper"]["publishedAt"] == "2026-01-02T00:00:00.000Z"
    assert item["paper"]["ai_keywords"] == ["local words"]
    assert item["thumbnail"] == "https://example.org/t.png"
    assert client.get("/api/papers/2601.00001").json()["title"] == "Local Paper"
    for route in ("/api/papers/search?q=Found", "/api/papers?limit=100"):
        body = json.dumps(client.get(route).json())
        assert "No Id Paper" not in body, route


def test_hf_paper_featured_here_is_hf_paper_in_our_item(client: TestClient, rt: Runtime) -> None:
    """A paper HF sent, featured again here: `paper` stays HF's as sent, and the item, which
    HF never sent, is ours: our submitter, when it was featured, the paper's thumbnail.
    (store.features reads the values that fill in for HF only where HF sent nothing.)"""
    record = hf_sample.records()[0]
    with transaction(rt.engine) as conn:
        pid = paper_id_for_arxiv(conn, record["paper"]["id"])
        assert pid is not None
        curator = create_user(conn, "curator-here", email=None, password_hash="x")
        thumbnail = sa.update(papers).where(papers.c.id == pid)
        conn.execute(thumbnail.values(thumbnail_url="https://example.org/thumb.png"))
        before = datetime.now(UTC).replace(microsecond=0)
        add_feature(conn, pid, date(2026, 2, 3), submitted_by=curator.id)
    [item] = client.get("/api/daily_papers", params={"date": "2026-02-03"}).json()
    assert {k: v for k, v in item["paper"].items() if k != "dailypapers"} == record["paper"]
    assert item["submittedBy"]["name"] == "curator-here" and item["title"] == record["title"]
    assert item["thumbnail"] == "https://example.org/thumb.png"
    featured_at = datetime.fromisoformat(item["publishedAt"].replace("Z", "+00:00"))
    assert before <= featured_at <= datetime.now(UTC)
    assert item["dailypapers"] == {"numComments": 0, "featureDate": "2026-02-03"}


def test_kept_hf_json_never_serves_a_link_that_is_not_http(
    client: TestClient, rt: Runtime, tmp_path: Path
) -> None:
    """HF's objects are served as stored: links in them that are not http(s) (or a path on
    HF, as its older avatars are) are taken out when they are imported, in fields HF may add
    later too; the others stay exactly as sent."""
    record = copy.deepcopy(hf_sample.records()[0])
    record["paper"]["id"], record["feed_date"] = "2512.99999", "2026-03-04"
    record["paper"]["authors"][0]["user"] = {"avatarUrl": "javascript:alert(1)", "user": "x"}
    record["paper"]["authors"][1]["user"] = {"avatarUrl": "/avatars/a.svg", "user": "y"}
    record["paper"]["mediaUrls"] = ["https://example.org/a.png", " data:text/html,<script>"]
    record["paper"]["laterLinkUrl"] = "vbscript:msgbox(1)"
    record["organization"] = {"name": "org", "avatar": "JavaScript:alert(1)"}
    source = tmp_path / "links.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert import_file(rt.engine, source, fmt="hf").inserted == 1
    [item] = client.get("/api/daily_papers", params={"date": "2026-03-04"}).json()
    detail = client.get("/api/papers/2512.99999").json()
    for served in (item, detail):
        text = json.dumps(served).lower()
        assert not any(s in text for s in ("javascript:", "data:", "vbscript:")), text
    paper = item["paper"]
    assert paper["authors"][0]["user"] == {"avatarUrl": None, "user": "x"}
    assert paper["authors"][1]["user"] == {"avatarUrl": "/avatars/a.svg", "user": "y"}
    assert paper["mediaUrls"] == ["https://example.org/a.png"] and paper["laterLinkUrl"] is None
    assert item["organization"] == {"name": "org", "avatar": None}
    assert paper["authors"][2:] == record["paper"]["authors"][2:]  # the rest as sent


def test_one_page_mixes_hf_items_and_ours_with_our_values(client: TestClient, rt: Runtime) -> None:
    """A page read in one request serves items HF sent (their objects spliced in as stored,
    store.features.sent_items) beside one featured here (filled from our data), newest first,
    each with the votes, visible comments and links that are ours under `dailypapers`."""
    sent = hf_sample.by_feed_date()[DAY][0]
    with transaction(rt.engine) as conn:
        pid = paper_id_for_arxiv(conn, sent["paper"]["id"])
        assert pid is not None
        member = create_user(conn, "member-here", email=None, password_hash="x")
        add_vote(conn, member.id, pid)
        add_comment(conn, pid, member.id, "Kept.")
        set_comment_hidden(conn, add_comment(conn, pid, member.id, "Hidden."), True)
        links = {"code_url": "https://example.org/code", "project_url": "javascript:alert(1)"}
        conn.execute(sa.update(papers).where(papers.c.id == pid).values(**links))
    when = datetime.fromisoformat(f"{DAY}T23:59:59+00:00")  # the day's newest submission
    feature = FeatureRecord(when.date(), submitted_by="alice", submitted_at=when)
    ours = PaperRecord(title="Local Paper", abstract="Found here.", arxiv_id="2601.00002",
                       feature=feature)  # fmt: skip
    load(rt.engine, [Parsed("test:1", ours)])
    items = client.get("/api/daily_papers", params={"date": DAY}).json()
    assert len(items) == len(hf_sample.by_feed_date()[DAY]) + 1
    assert items[0]["title"] == "Local Paper" and items[0]["submittedBy"]["name"] == "alice"
    assert items[0]["dailypapers"] == {"numComments": 0, "featureDate": DAY}
    [item] = [i for i in items if i["paper"]["id"] == sent["paper"]["id"]]
    assert {k: v for k, v in item["paper"].items() if k != "dailypapers"} == sent["paper"]
    assert item["paper"]["dailypapers"] == {"upvotes": 1, "codeUrl": "https://example.org/code"}
    assert item["dailypapers"] == {"numComments": 1, "featureDate": DAY}
    assert {k: v for k, v in item.items() if k not in ("paper", "dailypapers")} == {
        k: v for k, v in sent.items() if k != "paper" and k not in ARCHIVE_FIELDS
    }
