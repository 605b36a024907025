"""Scheduled sync: sources, due times, recorded runs that resume, leases that move."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from dailypapers.config import Settings
from dailypapers.errors import ConfigError
from dailypapers.ingest.loader import load
from dailypapers.models import Parsed
from dailypapers.runtime import Runtime
from dailypapers.services import accounts, feed
from dailypapers.services.leases import LeaseKeeper, current_leases
from dailypapers.services.sync import Source, SyncScheduler, next_due, parse_sources, run_due
from dailypapers.store import generations, sync_runs
from dailypapers.store.schema import papers
from dailypapers.web.app import create_app
from recorded_http import RecordedServer, Reply, fixture_reply, recorded_http
from test_cli import cli, env
from test_ingest_hf_feed import DAYS, json_reply, recorded_items, serve_recorded
from web_helpers import csrf_from, paper, sign_up, with_secret

__all__ = ["env", "recorded_http"]
ARXIV_HEAT_BATH = "api/id_1605.08386_s0_m100_199195aa31ad.xml"
ARXIV_TESTING = "api/q_testing_s0_m10_bc5a6c384fe9.xml"
ARXIV_EMPTY = "api/id_0000.0000_s0_m100_8b51d9633a68.xml"
NOON = datetime(2026, 8, 21, 12, 0, tzinfo=UTC)


def sync_runtime(tmp_path: Path, endpoint: str, **overrides: Any) -> Runtime:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=None,
        sync_sources="hf",
        hf_api_url=endpoint,
        hf_delay_seconds=0,
        hf_max_retries=0,
        **overrides,
    )
    rt = Runtime(settings)
    rt.ensure_schema()
    return rt


def test_sources_parse_and_a_bad_one_is_named() -> None:
    assert parse_sources(" hf  arxiv:cs.CL,cs.LG ") == [
        Source("hf"),
        Source("arxiv", ("cs.CL", "cs.LG")),
    ]
    assert [s.key for s in parse_sources("hf arxiv:cs.CL,cs.LG")] == ["hf", "arxiv:cs.CL,cs.LG"]
    assert parse_sources("") == []
    for bad in ("hf:x", "arxiv", "arxiv:", "rss"):
        with pytest.raises(ConfigError, match=repr(bad)):
            parse_sources(f"hf {bad}")


def test_hf_is_due_hourly_and_arxiv_daily_after_its_hour(tmp_path: Path) -> None:
    rt = Runtime(Settings(data_dir=tmp_path, sync_hf_interval_minutes=60, sync_arxiv_hour=1))
    arxiv = Source("arxiv", ("cs.CL",))
    assert next_due(Source("hf"), None, rt) is None
    assert next_due(Source("hf"), NOON, rt) == datetime(2026, 8, 21, 13, tzinfo=UTC)
    assert next_due(arxiv, NOON, rt) == datetime(2026, 8, 22, 1, tzinfo=UTC)
    early = datetime(2026, 8, 21, 0, 30, tzinfo=UTC)
    assert next_due(arxiv, early, rt) == datetime(2026, 8, 21, 1, tzinfo=UTC)
    rt.close()


def test_runs_are_recorded_resume_where_they_stopped_and_never_duplicate(
    tmp_path: Path, recorded_http: RecordedServer
) -> None:
    recorded_http.add(
        "/api/daily_papers", {"date": str(DAYS[0])}, json_reply(recorded_items(DAYS[0]))
    )
    recorded_http.add(
        "/api/daily_papers",
        {"date": str(DAYS[1])},
        Reply(502, b"<html>Bad gateway</html>"),
        json_reply(recorded_items(DAYS[1])),
    )
    recorded_http.add("/api/daily_papers", {}, json_reply([]))
    rt = sync_runtime(tmp_path, recorded_http.base, sync_first_days=3)
    with rt.engine.connect() as conn:
        before = generations.current(conn)

    [failed] = run_due(rt, node="n1", now=NOON)
    assert failed.status == "failed" and failed.fetched_until == DAYS[0]
    assert failed.error is not None and "2026-08-21 p=0: unavailable: HTTP 502" in failed.error
    assert failed.inserted == 6 and len(feed.featured(rt.engine, *DAYS)) == 6
    assert [q["date"] for q in recorded_http.requests] == ["2026-08-19", *map(str, DAYS)]

    assert run_due(rt, node="n1", now=NOON) == []  # not due again within the hour
    recorded_http.requests.clear()
    [resumed] = run_due(rt, node="n1", now=datetime(2026, 8, 21, 13, 1, tzinfo=UTC))
    assert resumed.status == "ok" and resumed.error is None
    assert (resumed.inserted, resumed.unchanged, resumed.fetched_until) == (6, 6, DAYS[1])
    assert [q["date"] for q in recorded_http.requests] == [str(DAYS[0]), str(DAYS[1])]
    assert len(feed.featured(rt.engine, *DAYS)) == 12
    with rt.engine.connect() as conn:
        after = generations.current(conn)
    assert after > before  # the runs' writes told every node's page cache
    run_due(rt, node="n1", now=datetime(2026, 8, 21, 14, 2, tzinfo=UTC))
    with rt.engine.connect() as conn:
        assert generations.current(conn) == after  # nothing changed, nothing dropped
    rt.close()


def test_a_run_left_running_by_a_dead_process_is_closed_by_the_next_run(
    tmp_path: Path, recorded_http: RecordedServer
) -> None:
    serve_recorded(recorded_http)
    rt = sync_runtime(tmp_path, recorded_http.base, sync_first_days=1)
    with rt.engine.begin() as conn:  # what a process killed mid-run leaves behind
        dead = sync_runs.start(conn, "hf", "dead-node", NOON)
    [run] = run_due(rt, node="n1", now=NOON, force=True)
    assert run.status == "ok"
    with rt.engine.connect() as conn:
        by_id = {r.id: r for r in sync_runs.recent(conn)}
    assert by_id[dead].status == "failed" and by_id[dead].error == sync_runs.ABANDONED
    assert by_id[dead].finished_at is None and by_id[run.id].status == "ok"
    rt.close()


def test_the_sync_command_waits_its_turn_while_a_server_holds_the_lease(
    env: dict[str, str], recorded_http: RecordedServer
) -> None:
    serve_recorded(recorded_http)
    env = {**env, "DAILYPAPERS_SYNC_SOURCES": "hf", "DAILYPAPERS_HF_API_URL": recorded_http.base}
    settings = Settings(data_dir=Path(env["DAILYPAPERS_DATA_DIR"]), database_url=None)
    rt = Runtime(settings)
    rt.ensure_schema()
    server = LeaseKeeper(rt.engine, ["sync"], ttl=60, holder="serve-node")
    server.beat()
    refused = cli(env, "sync", "--force", ok=False)
    assert refused.returncode != 0 and "another node holds the sync lease (serve-node until" in (
        refused.stdout + refused.stderr
    )
    assert recorded_http.requests == []  # nothing was fetched, no run recorded
    with rt.engine.connect() as conn:
        assert sync_runs.recent(conn) == []
    server.stop()
    rt.close()


def test_the_scheduler_runs_only_while_its_gate_is_open(
    tmp_path: Path, recorded_http: RecordedServer
) -> None:
    serve_recorded(recorded_http)
    rt = sync_runtime(tmp_path, recorded_http.base, sync_first_days=1)
    open_gate = False
    scheduler = SyncScheduler(rt, node="n1", gate=lambda: open_gate, check_seconds=60)
    assert scheduler.tick() == [] and recorded_http.requests == []
    open_gate = True
    [run] = scheduler.tick()
    assert run.status == "ok" and run.node == "n1"
    rt.close()


def test_one_lease_holder_at_a_time_and_takeover_after_expiry(database_url: str) -> None:
    rt = Runtime(Settings(database_url=database_url))
    rt.ensure_schema()
    a = LeaseKeeper(rt.engine, ["sync", "digests"], ttl=1.0, holder="node-a")
    b = LeaseKeeper(rt.engine, ["sync", "digests"], ttl=1.0, holder="node-b")
    a.beat()
    b.beat()
    assert a.holds("sync") and a.holds("digests")
    assert not b.holds("sync") and not b.holds("digests")
    a.beat()  # a renewal keeps it
    b.beat()
    assert a.holds("sync") and not b.holds("sync")
    time.sleep(1.2)  # node a dies: no more renewals; its lease lapses for it too
    assert not a.holds("sync")
    b.beat()
    assert b.holds("sync") and b.holds("digests")
    assert {lease.holder for lease in current_leases(rt.engine)} == {"node-b"}
    b.stop()  # a clean stop hands the leases back at once
    assert current_leases(rt.engine) == []
    a.beat()
    assert a.holds("sync")
    rt.close()


def test_sync_and_sync_status_commands(env: dict[str, str], recorded_http: RecordedServer) -> None:
    serve_recorded(recorded_http)
    env = {
        **env,
        "DAILYPAPERS_SYNC_SOURCES": "hf",
        "DAILYPAPERS_HF_API_URL": recorded_http.base,
        "DAILYPAPERS_HF_DELAY_SECONDS": "0",
        "DAILYPAPERS_SYNC_FIRST_DAYS": str((date.today() - DAYS[0]).days + 1),
    }
    ran = cli(env, "sync").stdout
    assert " ok " in ran and "│  12 │" in ran.replace("│   12 │", "│  12 │")
    status = cli(env, "sync", "status").stdout
    assert "Sync sources" in status and "Latest runs" in status and " hf " in status
    assert "nothing is due" in cli(env, "sync").stdout


def test_admin_page_lists_sources_runs_and_leases_for_admins_only(
    tmp_path: Path, recorded_http: RecordedServer
) -> None:
    rt = sync_runtime(tmp_path, recorded_http.base, sync_first_days=1)
    rt.settings = with_secret(rt.settings)
    recorded_http.add("/api/daily_papers", {}, Reply(404, b"<b>gone</b>"))
    run_due(rt, node="node-<x>", now=NOON)
    LeaseKeeper(rt.engine, ["sync"], ttl=60, holder="web-1").beat()
    accounts.create_account(rt.engine, "root", email=None, password="admin-pass!", role="admin")
    with TestClient(create_app(rt)) as client:
        assert client.get("/admin/sync", follow_redirects=False).status_code == 303
        sign_up(client, "bob")
        assert client.get("/admin/sync").status_code == 403
        client.post("/signout", data={"csrf_token": csrf_from(client, "/submit")})
        login = {"login": "root", "password": "admin-pass!"}
        client.post("/signin", data={**login, "csrf_token": csrf_from(client, "/signin")})
        page = client.get("/admin/sync").text
    assert "<code>hf</code>" in page and "failed" in page and "answered HTTP 404" in page
    assert "node-&lt;x&gt;" in page and "&lt;b&gt;gone" in page and "<b>gone" not in page
    assert "<code>sync</code> runs on <code>web-1</code>" in page
    rt.close()


def test_an_arxiv_sync_resolves_listing_papers_by_exact_title_and_asks_once_a_month(
    tmp_path: Path, recorded_http: RecordedServer
) -> None:
    known = "Heat-Bath Random Walks with Markov Bases."  # as a listing page wrote it
    unknown = "A Paper arXiv Never Saw"
    recorded_http.add(
        "/api/query", {"search_query": f'ti:"{known}"'}, fixture_reply(ARXIV_HEAT_BATH)
    )
    recorded_http.add(
        "/api/query", {"search_query": f'ti:"{unknown}"'}, fixture_reply(ARXIV_TESTING)
    )
    recorded_http.add("/api/query", {}, fixture_reply(ARXIV_EMPTY))
    rt = Runtime(
        Settings(
            data_dir=tmp_path / "data",
            sync_sources="arxiv:cs.CL",
            arxiv_api_url=f"{recorded_http.base}/api/query",
            arxiv_delay_seconds=0,
        )
    )
    rt.ensure_schema()
    listing = [paper(None, known, day=None), paper(None, unknown, day=None)]
    load(rt.engine, [Parsed("listing", r) for r in listing])

    [run] = run_due(rt, node="n1", force=True)
    assert run.status == "ok" and run.resolved == 1
    with rt.engine.connect() as conn:
        ids = dict(conn.execute(sa.select(papers.c.title, papers.c.arxiv_id)).all())
    assert ids == {"Heat-bath random walks with Markov bases": "1605.08386", unknown: None}
    asked = [q["search_query"] for q in recorded_http.requests if "ti:" in q["search_query"]]
    assert asked == [f'ti:"{known}"', f'ti:"{unknown}"']

    recorded_http.requests.clear()
    [again] = run_due(rt, node="n1", force=True)
    assert again.resolved == 0
    assert not [q for q in recorded_http.requests if "ti:" in q["search_query"]]
    rt.close()
