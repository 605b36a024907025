"""RSS and Atom feeds read back with feedparser, on real HF records, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import feedparser
import pytest
from fastapi.testclient import TestClient

import hf_sample
from dailypapers.runtime import Runtime
from dailypapers.services import feed
from dailypapers.services import trending as trending_service
from dailypapers.web.app import create_app

BASE = "https://papers.example.org"


@pytest.fixture
def client(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The whole app on the sample records."""
    hf_sample.load(rt)
    hf_sample.set_secret_key(rt, monkeypatch)
    monkeypatch.setattr(rt.settings, "base_url", BASE)
    with TestClient(create_app(rt), base_url=BASE) as test_client:
        yield test_client


def _parse(client: TestClient, url: str, media_type: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def _assert_complete(entry: feedparser.FeedParserDict) -> None:
    """Every item has a title, an absolute paper link as its id, a date, authors, an abstract."""
    assert entry.title and entry.summary
    assert entry.link.startswith(f"{BASE}/papers/") and entry.id == entry.link
    assert entry.published_parsed is not None
    assert entry.authors and all(a.get("name") for a in entry.authors)


@pytest.mark.parametrize(
    ("url", "media_type"),
    [("/feeds/daily.xml", "application/rss+xml"), ("/feeds/daily.atom", "application/atom+xml")],
)
def test_daily_feed_lists_the_days_featured_papers(
    client: TestClient, rt: Runtime, url: str, media_type: str
) -> None:
    days = hf_sample.by_feed_date()
    for asked, shown in ((None, max(days)), ("2024-06-03", "2024-06-03")):
        parsed = _parse(client, url + (f"?date={asked}" if asked else ""), media_type)
        day = date.fromisoformat(shown)
        assert len(parsed.entries) == len(feed.featured(rt.engine, day, day)) > 0
        raw = {r["paper"]["id"]: r for r in days[shown]}
        assert {e.link.rsplit("/", 1)[1] for e in parsed.entries} == set(raw)
        for entry in parsed.entries:
            _assert_complete(entry)
            source = raw[entry.link.rsplit("/", 1)[1]]
            assert entry.title == " ".join(source["paper"]["title"].split())
            assert [a.name for a in entry.authors] == [
                a["name"] for a in source["paper"]["authors"]
            ]
            assert " ".join(entry.summary.split()) == " ".join(source["paper"]["summary"].split())


def test_trending_and_search_feeds(client: TestClient, rt: Runtime) -> None:
    trending = _parse(client, "/feeds/trending.xml", "application/rss+xml")
    ranked = trending_service.trending(rt.engine, today=rt.today()).entries
    assert ranked, "a stale instance still shows its most recent window"
    assert [e.title for e in trending.entries] == [t.entry.paper.title for t in ranked]
    searched = _parse(client, "/feeds/search.xml?q=video", "application/rss+xml")
    assert searched.entries
    for entry in trending.entries + searched.entries:
        _assert_complete(entry)
    assert all("video" in (e.title + e.summary).lower() for e in searched.entries)
    missing_query = client.get("/feeds/search.xml")
    assert missing_query.status_code == 400 and "error" in missing_query.json()
