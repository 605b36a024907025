"""Two real `dailypapers serve` processes on one real PostgreSQL behave as one site.

Sessions, votes, rate limits and cached pages agree across the nodes; the background jobs
(sync, digests, embedding) each run on one node, and when that node is killed (-9, no clean
shutdown) the other takes them over once the lease expires. Leases last 2 s here (30 s by
default) so the test is quick; the takeover time is printed and kept as a test property.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from dailypapers.config import Settings
from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime
from dailypapers.services.leases import current_leases
from dailypapers.services.sync import recent_runs
from dailypapers.store.features import latest_features
from dailypapers.store.papers import paper_id_for_arxiv
from recorded_http import RecordedServer, recorded_http
from test_ingest_hf_feed import DATA, DAYS, serve_recorded
from web_helpers import csrf_from, sign_up

__all__ = ["recorded_http"]
pytestmark = pytest.mark.postgres
LEASE_TTL = 2.0
JOBS = {"embedding", "sync", "digests"}
SECRET = "two-nodes-secret-" + "x" * 40


@dataclass
class Node:
    """One `serve` process and where it listens."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def site(
    pg_server: Any, tmp_path: Path, recorded_http: RecordedServer
) -> Iterator[tuple[Runtime, list[Node]]]:
    """A migrated PostgreSQL database with 6 papers and two `serve` nodes on it."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.psql(f"CREATE DATABASE {name};")
    url = pg_server.get_uri(name).replace("postgresql://", "postgresql+psycopg://", 1)
    rt = Runtime(Settings(data_dir=tmp_path / "setup", database_url=url))
    rt.ensure_schema()
    import_file(rt.engine, DATA / f"archive-{DAYS[1]}.jsonl")
    serve_recorded(recorded_http)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    nodes: list[Node] = []
    for i in range(2):
        port = _free_port()
        env = {
            **clean,
            "DAILYPAPERS_DATA_DIR": str(tmp_path / f"node{i}"),
            "DAILYPAPERS_DATABASE_URL": url,
            "DAILYPAPERS_SECRET_KEY": SECRET,
            "DAILYPAPERS_LEASE_TTL_SECONDS": str(LEASE_TTL),
            "DAILYPAPERS_RATE_LIMIT_VOTES_PER_MINUTE": "3",
            "DAILYPAPERS_SYNC_SOURCES": "hf",
            "DAILYPAPERS_HF_API_URL": recorded_http.base,
            "DAILYPAPERS_HF_DELAY_SECONDS": "0",
            "DAILYPAPERS_SYNC_CHECK_SECONDS": "0.5",
            "DAILYPAPERS_SYNC_FIRST_DAYS": str((date.today() - DAYS[0]).days + 1),
        }
        log = (tmp_path / f"node{i}.log").open("wb")
        command = [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)]
        process = subprocess.Popen([*command, "--workers", "1"], env=env, stdout=log, stderr=log)
        nodes.append(Node(f"http://127.0.0.1:{port}", process))
    try:
        for node in nodes:
            _wait(lambda n=node: _up(n.url) or n.process.poll() is not None, "a node to start")
            assert node.process.poll() is None, (tmp_path / "node0.log").read_text()
        yield rt, nodes
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.process.terminate()
                node.process.wait(timeout=15)
        rt.close()
        pg_server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")


def _upvotes(client: httpx.Client, arxiv_id: str, day: date) -> int:
    """Votes cast on this site (HF's own count is the top-level `upvotes`), as the paper and
    its daily item (encoded once per node: the fragment cache) both say."""
    votes = client.get(f"/api/papers/{arxiv_id}").json()["dailypapers"]["upvotes"]
    items = client.get("/api/daily_papers", params={"date": day.isoformat()}).json()
    [item] = [i for i in items if i["paper"]["id"] == arxiv_id]
    assert item["paper"]["dailypapers"]["upvotes"] == votes
    return int(votes)


def _vote(client: httpx.Client, pid: int, up: bool) -> int:
    token = csrf_from(client, "/submit")
    data = {"up": "true" if up else "false", "csrf_token": token}
    return client.post(f"/papers/{pid}/vote", data=data).status_code


def _pid_of(holder: str) -> int:
    return int(holder.split(":")[1])


def test_two_nodes_share_sessions_votes_limits_caches_and_hand_over_jobs(
    site: tuple[Runtime, list[Node]], record_property: Callable[[str, object], None]
) -> None:
    rt, (a, b) = site
    arxiv_id = "2608.13120"
    with (
        httpx.Client(base_url=a.url) as member_a,
        httpx.Client(base_url=b.url) as anon_b,
        httpx.Client(base_url=a.url) as anon_a,
    ):
        # Sessions: signed up on A, signed in on B with the same cookie.
        assert sign_up(member_a, "bob").status_code == 303
        with httpx.Client(base_url=b.url, cookies=member_a.cookies) as member_b:
            assert '<a href="/u/bob">bob</a>' in member_b.get("/").text
            # Caches: B has the paper cached; a vote on A shows on B's very next request.
            with rt.engine.connect() as conn:
                pid = paper_id_for_arxiv(conn, arxiv_id)
                assert pid is not None
                day = latest_features(conn, [pid])[pid].feature_date
            upvotes = functools.partial(_upvotes, arxiv_id=arxiv_id, day=day)
            before = upvotes(anon_b)
            assert upvotes(anon_b) == before and upvotes(anon_a) == before
            assert _vote(member_a, pid, up=True) == 303
            assert upvotes(anon_b) == before + 1
            assert upvotes(anon_a) == before + 1
            # Votes and rate limits: 3 votes a minute, counted across both nodes.
            assert _vote(member_b, pid, up=False) == 303
            assert upvotes(anon_a) == before
            assert _vote(member_a, pid, up=True) == 303
            assert _vote(member_b, pid, up=False) == 429
            assert _vote(member_a, pid, up=False) == 429
        assert upvotes(anon_b) == before + 1

    # Jobs: each lease on exactly one node; the sync ran once, on its holder.
    def taken() -> dict[str, Any] | None:
        held = {x.name: x for x in current_leases(rt.engine)}
        return held if held.keys() >= JOBS else None

    leases = _wait(taken, "all leases taken")
    pids = {_pid_of(lease.holder) for lease in leases.values()}
    assert pids <= {a.pid, b.pid}
    runs = _wait(lambda: [r for r in recent_runs(rt) if r.status == "ok"], "a sync run")
    time.sleep(1.0)  # both nodes check every 0.5 s: a second run would show by now
    assert len(recent_runs(rt)) == 1 and runs[0].node == leases["sync"].holder
    assert runs[0].inserted == 6 and runs[0].unchanged == 6  # 2026-08-21 was imported before

    # Kill the node that runs the sync (no shutdown, no lease release): the other takes over.
    victim, survivor = (a, b) if _pid_of(leases["sync"].holder) == a.pid else (b, a)
    victim.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    victim.process.wait(timeout=10)

    def all_moved() -> bool:
        now = {x.name: x for x in current_leases(rt.engine)}
        return all(_pid_of(now[job].holder) == survivor.pid for job in JOBS if job in now)

    _wait(all_moved, "the leases to move", timeout=60)
    takeover = time.monotonic() - killed_at
    record_property("lease_takeover_seconds", round(takeover, 2))
    print(f"\nlease takeover after kill -9: {takeover:.2f} s (lease TTL {LEASE_TTL} s)")
    assert takeover < 60
    assert _up(survivor.url)
