"""Mirroring a Hugging Face-compatible daily feed: recorded HF answers served over real HTTP,
a second dailypapers app on loopback, and every kind of bad endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dailypapers.config import Settings
from dailypapers.ingest.hf_feed import HfFeedClient, mirror
from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime
from dailypapers.services import feed
from dailypapers.web.app import create_app
from live_uvicorn import serve
from recorded_http import FakeTime, RecordedServer, Reply, recorded_http
from test_cli import assert_one_line_error, cli, env

__all__ = ["env", "recorded_http"]
DATA = Path(__file__).parent / "data" / "hf_feed"
DAYS = (date(2026, 8, 20), date(2026, 8, 21))


def recorded_items(day: date) -> list[dict[str, Any]]:
    """The items huggingface.co answered for `day` (tests/data/hf_feed)."""
    items: list[dict[str, Any]] = json.loads((DATA / f"daily_papers-{day}.json").read_text())
    return items


def json_reply(value: object, status: int = 200, **headers: str) -> Reply:
    return Reply(
        status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers}
    )


def serve_recorded(server: RecordedServer, *, page_size: int = 100) -> None:
    """Each recorded day, cut into pages of `page_size` as the real API pages them."""
    for day in DAYS:
        items = recorded_items(day)
        for p in range(len(items) // page_size + 1):
            page = items[p * page_size : (p + 1) * page_size]
            server.add("/api/daily_papers", {"date": str(day), "p": str(p)}, json_reply(page))
    server.add("/api/daily_papers", {}, json_reply([]))  # any other day: an empty feed


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Any]:
    """Fresh SQLite runtimes, closed at the end."""
    made: list[Runtime] = []

    def make(name: str) -> Runtime:
        rt = Runtime(Settings(data_dir=tmp_path / name, database_url=None))
        rt.ensure_schema()
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


def client_for(url: str, fake: FakeTime | None = None, **options: Any) -> HfFeedClient:
    fake = fake or FakeTime()
    options.setdefault("max_retries", 2)
    return HfFeedClient(url, sleep=fake.sleep, clock=fake.clock, **options)


def snapshot(rt: Runtime) -> list[dict[str, Any]]:
    """Everything a feed page shows for the recorded days, minus the local row ids."""
    rows = []
    for entry in feed.featured(rt.engine, DAYS[0], DAYS[-1]):
        row = asdict(entry)
        del row["paper"]["id"]
        rows.append(row)
    return sorted(rows, key=lambda r: (r["feature_date"], r["paper"]["arxiv_id"]))


def test_mirroring_recorded_hf_answers_equals_importing_the_archive(
    recorded_http: RecordedServer, make_runtime: Any
) -> None:
    serve_recorded(recorded_http, page_size=4)
    mirrored, imported = make_runtime("mirror"), make_runtime("import")
    with client_for(recorded_http.base, page_size=4) as client:
        first = mirror(mirrored.engine, client, DAYS[0], DAYS[-1])
        again = mirror(mirrored.engine, client, DAYS[0], DAYS[-1])
    for day in DAYS:
        import_file(imported.engine, DATA / f"archive-{day}.jsonl")

    assert first.error is None and first.days == 2 and first.last_day == DAYS[-1]
    assert (first.report.inserted, first.report.rejected) == (12, [])
    assert (again.report.inserted, again.report.updated, again.report.unchanged) == (0, 0, 12)
    assert snapshot(mirrored) == snapshot(imported)
    assert len(snapshot(mirrored)) == 12
    pages = [(q["date"], q["p"], q["limit"]) for q in recorded_http.requests]
    assert pages[:2] == [(str(DAYS[0]), "0", "4"), (str(DAYS[0]), "1", "4")]


def test_waits_between_requests_and_honours_retry_after(recorded_http: RecordedServer) -> None:
    day = DAYS[0]
    recorded_http.add(
        "/api/daily_papers",
        {"date": str(day)},
        Reply(429, b"slow down", {"Retry-After": "7"}),
        Reply(503, b"busy"),
        json_reply(recorded_items(day)),
    )
    fake = FakeTime()
    with client_for(recorded_http.base, fake, delay_seconds=2.0, max_retries=3) as client:
        pages = list(client.day(day))
        list(client.day(day))
    assert len(pages[0]) == 6
    assert fake.sleeps == [7.0, 4.0, 2.0]  # Retry-After, then backoff 2 s * 2^1, then the delay


def test_one_instance_mirrors_another_over_http(make_runtime: Any) -> None:
    origin, copy = make_runtime("origin"), make_runtime("copy")
    for day in DAYS:
        import_file(origin.engine, DATA / f"archive-{day}.jsonl")
    with serve(create_app(origin)) as url, client_for(url, page_size=5) as client:
        first = mirror(copy.engine, client, DAYS[0], DAYS[-1])
        again = mirror(copy.engine, client, date(2026, 8, 19), DAYS[-1])
    assert first.error is None and first.report.inserted == 12 and not first.report.rejected
    assert again.error is None and again.days == 3
    assert (again.report.inserted, again.report.updated, again.report.unchanged) == (0, 0, 12)
    assert snapshot(copy) == snapshot(origin)


BAD_ANSWERS = [
    (Reply(200, b"<!doctype html><title>Hub</title>", {"Content-Type": "text/html"}),
     "expected JSON, got text/html"),
    (Reply(404, b"Not Found"), "answered HTTP 404: Not Found"),
    (Reply(500, b"oops"), "unavailable: HTTP 500 after 3 tries"),
    (json_reply({"error": "Invalid date"}), "expected a JSON list of daily-papers items, got a"
     " object"),
    (json_reply("2026-08-21"), "got a string"),
]  # fmt: skip


@pytest.mark.parametrize(("reply", "message"), BAD_ANSWERS)
def test_a_bad_answer_stops_the_run_and_keeps_the_days_before_it(
    recorded_http: RecordedServer, make_runtime: Any, reply: Reply, message: str
) -> None:
    rt = make_runtime("db")
    recorded_http.add(
        "/api/daily_papers", {"date": str(DAYS[0])}, json_reply(recorded_items(DAYS[0]))
    )
    recorded_http.add("/api/daily_papers", {"date": str(DAYS[1])}, reply)
    with client_for(recorded_http.base) as client:
        result = mirror(rt.engine, client, DAYS[0], DAYS[1])
    assert result.error is not None and message in result.error
    assert f"{DAYS[1]} p=0" in result.error and "\n" not in result.error
    assert result.days == 1 and result.last_day == DAYS[0]
    assert result.report.inserted == 6
    assert len(feed.featured(rt.engine, DAYS[0], DAYS[1])) == 6


def test_a_hanging_server_times_out(recorded_http: RecordedServer, make_runtime: Any) -> None:
    rt = make_runtime("db")
    recorded_http.add("/api/daily_papers", {}, Reply(200, b"[]", delay=2.0))
    with client_for(recorded_http.base, timeout=0.3, max_retries=0) as client:
        result = mirror(rt.engine, client, DAYS[0], DAYS[0])
    assert result.error is not None and "unreachable" in result.error
    assert "timed out" in result.error and result.days == 0


def test_a_record_missing_fields_is_rejected_and_the_rest_imports(
    recorded_http: RecordedServer, make_runtime: Any
) -> None:
    rt = make_runtime("db")
    items = recorded_items(DAYS[0])
    del items[2]["paper"]["id"]
    items[4] = {"title": "no paper object"}
    recorded_http.add("/api/daily_papers", {}, json_reply(items))
    with client_for(recorded_http.base) as client:
        result = mirror(rt.engine, client, DAYS[0], DAYS[0])
    assert result.error is None and result.report.inserted == 4
    reasons = {r.location: r.reason for r in result.report.rejected}
    host = recorded_http.base.removeprefix("http://")
    assert reasons == {
        f"{host} {DAYS[0]} p=0[2]": "no paper.id",
        f"{host} {DAYS[0]} p=0[4]": "no 'paper' object",
    }


def test_a_server_that_ignores_the_page_parameter_is_not_paged_forever(
    recorded_http: RecordedServer, make_runtime: Any
) -> None:
    rt = make_runtime("db")
    recorded_http.add("/api/daily_papers", {}, json_reply(recorded_items(DAYS[0])))
    with client_for(recorded_http.base, page_size=6) as client:
        result = mirror(rt.engine, client, DAYS[0], DAYS[0])
    assert result.error is None and result.report.inserted == 6
    assert [q["p"] for q in recorded_http.requests] == ["0", "1"]


def test_fetch_hf_command_reports_counts_then_nothing_new_and_bad_endpoints_in_one_line(
    recorded_http: RecordedServer, env: dict[str, str]
) -> None:
    serve_recorded(recorded_http)
    recorded_http.add(
        "/html/api/daily_papers", {}, Reply(200, b"<html>", {"Content-Type": "text/html"})
    )
    env = {**env, "DAILYPAPERS_HF_DELAY_SECONDS": "0", "DAILYPAPERS_HF_MAX_RETRIES": "0"}
    args = ("fetch", "hf", "--endpoint", recorded_http.base, "--since", "2026-08-19")
    first = cli(env, *args, "--until", "2026-08-21").stdout
    again = cli(env, *args, "--until", "2026-08-21").stdout
    assert "days complete: 3" in first and "│       12 │       0 │         0 │        0 │" in first
    assert "│        0 │       0 │        12 │        0 │" in again
    bad = cli(
        env,
        "fetch",
        "hf",
        "--endpoint",
        recorded_http.base + "/html",
        "--since",
        "2026-08-21",
        ok=False,
    )
    assert_one_line_error(bad, "2026-08-21 p=0: expected JSON, got text/html")
