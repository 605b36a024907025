"""The Hugging Face-compatible JSON API through an in-process client, on SQLite and PostgreSQL.

The app here holds only the API router and, after it, a stand-in for the HTML paper route
`/papers/{arxiv_id:path}`: the order `create_app` must keep for `/papers/{id}.md`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import hf_sample
from dailypapers.runtime import Runtime
from dailypapers.services import hf_api
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
        assert paper["title"] == item["title"] == " ".join(source["paper"]["title"].split())
        assert [a["name"] for a in paper["authors"]] == [
            a["name"] for a in source["paper"]["authors"]
        ]
        assert paper["upvotes"] == source["paper"]["upvotes"]
        assert paper["summary"] == item["summary"] == source["paper"]["summary"]
        assert paper["publishedAt"] == source["paper"]["publishedAt"]
        assert paper["submittedOnDailyAt"] == item["publishedAt"]
        assert item["submittedBy"]["name"] == source["submittedBy"]["name"]
        assert item["numComments"] == source["numComments"]
        for field in ("githubRepo", "projectPage", "ai_summary", "ai_keywords"):
            assert item.get(field) == paper.get(field)
            assert source["paper"].get(field) in (None, paper.get(field))
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
    monkeypatch.setattr(hf_api, "MAX_DAILY_LIMIT", 3)
    monkeypatch.setattr(hf_api, "MAX_SEARCH_LIMIT", 2)
    daily = client.get("/api/daily_papers", params={"limit": 1000})
    assert len(daily.json()) == 3 and "link" in daily.headers
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


def _marked(item: dict[str, str]) -> set[str]:
    """The words an API item highlights, lower-cased."""
    both = item["highlightedTitle"] + item["highlightedSummary"]
    return {m.lower() for m in re.findall(r'<span class="highlight">(.*?)</span>', both)}


def _unmarked(highlighted: str) -> str:
    return re.sub(r"</?span[^>]*>", "", highlighted)


def test_search_highlights_and_escapes(client: TestClient) -> None:
    """Search is hybrid (any word; meaning too once vectors exist; this store has none), so
    the best match has every word, each result at least one, and only query words are
    marked, in text that is otherwise escaped."""
    items = client.get("/api/papers/search", params={"q": "diffusion VIDEO"}).json()
    assert items
    top = (items[0]["title"] + " " + items[0]["summary"]).lower()
    assert "diffusion" in top and "video" in top
    assert _marked(items[0]) == {"diffusion", "video"}
    for item in items:
        text = (item["title"] + " " + item["summary"]).lower()
        assert "diffusion" in text or "video" in text
        assert _marked(item) and _marked(item) <= {"diffusion", "video"}
        assert _unmarked(item["highlightedTitle"]) == html.escape(item["title"])
        assert _unmarked(item["highlightedSummary"]) == html.escape(item["summary"])
    quoted = client.get("/api/papers/search", params={"q": "Don't look only once"}).json()
    assert "&#x27;" in quoted[0]["highlightedTitle"] and "'" not in quoted[0]["highlightedTitle"]
    assert client.get("/api/papers/search", params={"q": "zzzqqq"}).json() == []
    assert client.get("/api/papers/search").json() == []
