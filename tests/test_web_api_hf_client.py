"""The real `huggingface_hub` client (version 2.4.0 when written) against a live server.

`HfApi(endpoint=...)` talks over loopback HTTP to uvicorn serving `create_app` on real
Hugging Face records, through `list_daily_papers`, `list_papers`, `paper_info` and
`read_paper`; it parses timestamps and picks fields as it does for huggingface.co.
Signatures checked with `help()` on 2.4.0: `list_daily_papers(*, date, token, week, month,
submitter, sort, p, limit)`, `list_papers(*, query, limit, token)`, `paper_info(id)`,
`read_paper(id)`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

import hf_sample
from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app

DAY = "2025-06-02"
FAKE_TOKEN = "hf_not_a_real_token_and_ignored"


@pytest.fixture
def hf(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[HfApi]:
    """An HfApi pointed at a loopback uvicorn serving the app on the sample records."""
    hf_sample.load(rt)
    hf_sample.set_secret_key(rt, monkeypatch)
    config = uvicorn.Config(create_app(rt), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield HfApi(endpoint=f"http://127.0.0.1:{port}", token=False)
    server.should_exit = True
    thread.join(timeout=10)


def _source(paper_id: str) -> dict:
    return next(r for r in hf_sample.records() if r["paper"]["id"] == paper_id)


def test_list_daily_papers(hf: HfApi) -> None:
    papers = list(hf.list_daily_papers(date=DAY, token=FAKE_TOKEN))
    assert {p.id for p in papers} == {r["paper"]["id"] for r in hf_sample.by_feed_date()[DAY]}
    for paper in papers:
        source = _source(paper.id)
        assert paper.title == source["title"]
        assert [a.name for a in paper.authors] == [a["name"] for a in source["paper"]["authors"]]
        assert paper.upvotes == source["paper"]["upvotes"]
        assert paper.comments == source["numComments"]
        assert paper.published_at == _parse(source["paper"]["publishedAt"])
        assert paper.submitted_at == _parse(source["publishedAt"])
        assert paper.submitted_by.fullname == source["submittedBy"]["fullname"]
        assert paper.discussion_id == source["paper"]["discussionId"]


def test_list_daily_papers_pages_and_periods(hf: HfApi) -> None:
    week = list(hf.list_daily_papers(week="2025-W23", sort="trending", limit=100))
    first, rest = (list(hf.list_daily_papers(week="2025-W23", p=p, limit=6)) for p in (0, 1))
    assert len(first) == 6 and len(rest) == len(week) - 6
    assert {p.id for p in first + rest} == {p.id for p in week}
    assert list(hf.list_daily_papers(month="2025-06", p=9)) == []
    with pytest.raises(HfHubHTTPError, match="invalid date"):
        list(hf.list_daily_papers(date="2025-02-30"))


def test_paper_info_and_read_paper(hf: HfApi) -> None:
    """`read_paper` needs create_app to include api.router before pages.router (see web/api.py)."""
    source = _source(hf_sample.by_feed_date()[DAY][0]["paper"]["id"])["paper"]
    info = hf.paper_info(source["id"])
    assert (info.id, info.upvotes) == (source["id"], source["upvotes"])
    assert info.title == source["title"]
    assert info.published_at == _parse(source["publishedAt"])
    assert info.submitted_at == _parse(source["submittedOnDailyAt"])
    assert info.github_repo == source.get("githubRepo")
    assert info.linked_models == [] and info.num_total_models == 0
    markdown = hf.read_paper(source["id"])
    assert markdown.startswith(f"# {info.title}\n") and source["summary"] in markdown
    for missing in (hf.paper_info, hf.read_paper):
        with pytest.raises(HfHubHTTPError, match="not found"):
            missing("2101.00001")


def test_list_papers_search(hf: HfApi) -> None:
    found = list(hf.list_papers(query="video diffusion", limit=3))
    assert 0 < len(found) <= 3
    best = (found[0].title + found[0].summary).lower()
    assert "video" in best and "diffusion" in best
    assert all(re.search("video|diffusion", p.title + p.summary, re.I) for p in found)
    assert all(any(span["type"] == "highlight" for span in p.highlightedSummary) for p in found)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def test_errors_under_api_and_markdown_by_accept(hf: HfApi) -> None:
    """Anything under /api/ fails as HF does; `Accept: text/markdown` on the paper page gives
    the markdown (and the page cache keeps the two answers apart)."""
    for method, path, status in [
        ("GET", "/api/no-such-route", 404),
        ("DELETE", "/api/daily_papers", 405),
        ("GET", "/api/daily_papers?limit=x", 400),
    ]:
        response = httpx.request(method, hf.endpoint + path)
        assert response.status_code == status, path
        assert set(response.json()) == {"error"}
        assert response.headers["x-error-message"] == response.json()["error"]
    paper_id = hf_sample.by_feed_date()[DAY][0]["paper"]["id"]
    url = f"{hf.endpoint}/papers/{paper_id}"
    for _ in range(2):  # the second round would come from the page cache
        page = httpx.get(url)
        assert page.headers["content-type"].startswith("text/html")
        markdown = httpx.get(url, headers={"Accept": "text/markdown"})
        assert markdown.headers["content-type"].startswith("text/markdown")
        assert markdown.text == hf.read_paper(paper_id)


def test_huggingface_hub_own_paper_api_assertions(hf: HfApi) -> None:
    """huggingface_hub's TestPaperApi (tests/test_hf_api.py), each assertion that does not
    need huggingface.co's data, run against us with ours in place of theirs."""
    records = hf_sample.records()
    day_records = hf_sample.by_feed_date()[DAY]
    title = " ".join(day_records[0]["paper"]["title"].split())
    # test_papers_by_query / _with_limit
    found = list(hf.list_papers(query="diffusion"))
    assert found and any("Diffusion" in p.title for p in found)
    assert len(list(hf.list_papers(query="diffusion", limit=2))) == 2
    # test_get_paper_by_id_success
    info = hf.paper_info(day_records[0]["paper"]["id"])
    assert " ".join(info.title.split()) == title
    # test_get_paper_by_id_returns_linked_repos (lists and counts present; we host no repos)
    assert info.linked_models == [] and info.num_total_models == 0
    assert info.linked_datasets == [] and info.num_total_datasets == 0
    assert info.linked_spaces == []
    # test_get_paper_by_id_not_found
    with pytest.raises(HfHubHTTPError) as context:
        hf.paper_info("1234.56789")
    assert context.value.response.status_code == 404
    # test_list_daily_papers_by_date / _invalid_date / _default_date
    by_date = list(hf.list_daily_papers(date=DAY))
    assert by_date and hasattr(by_date[0], "id") and hasattr(by_date[0], "title")
    with pytest.raises(BadRequestError):
        list(hf.list_daily_papers(date="2025-13-40"))
    assert list(hf.list_daily_papers())
    # test_list_daily_papers_week: from the Friday before the week to its Sunday. PaperInfo's
    # submitted_at is the item's publishedAt, given back as HF sent it; in the mid-2025
    # records that is the arXiv date, days before the feed day, so 2024's week is used.
    week = list(hf.list_daily_papers(week="2024-W23"))
    start = datetime.fromisocalendar(2024, 22, 5).replace(tzinfo=UTC)
    end = datetime.fromisocalendar(2024, 23, 7).replace(tzinfo=UTC)
    assert week and all(start <= p.submitted_at <= end for p in (week[0], week[-1]))
    # test_list_daily_papers_month: from the last day of the month before to the month's last
    month = list(hf.list_daily_papers(month="2024-06"))
    start, end = datetime(2024, 5, 31, tzinfo=UTC), datetime(2024, 6, 30, tzinfo=UTC)
    assert month and all(start <= p.submitted_at <= end for p in (month[0], month[-1]))
    # test_daily_papers_submitter
    submitter = next(r["submittedBy"] for r in records if r.get("submittedBy"))
    theirs = list(hf.list_daily_papers(submitter=submitter["name"]))
    assert theirs and theirs[0].submitted_by.fullname == submitter["fullname"]
    # test_daily_papers_p / _limit
    assert list(hf.list_daily_papers(date=DAY, p=100)) == []
    assert len(list(hf.list_daily_papers(limit=10))) == 10


def test_hf_papers_cli(hf: HfApi) -> None:
    """The `hf papers` CLI of huggingface_hub, pointed at us with HF_ENDPOINT."""
    hf_cli = Path(sys.executable).with_name("hf")
    env = {**os.environ, "HF_ENDPOINT": hf.endpoint, "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_TOKEN", None)

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(hf_cli), "papers", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = json.loads(run("ls", "--date", DAY, "--format", "json"))
    assert {p["id"] for p in listed} == {r["paper"]["id"] for r in hf_sample.by_feed_date()[DAY]}
    paper_id = listed[0]["id"]
    assert json.loads(run("info", paper_id, "--format", "json"))["id"] == paper_id
    assert run("read", paper_id).startswith("# ")
    found = json.loads(run("search", "diffusion", "--limit", "2", "--format", "json"))
    assert 0 < len(found) <= 2
