"""The CLI as a user runs it: a real subprocess, real files, one-line errors."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dailypapers.cli.admin import default_workers
from dailypapers.config import Settings
from recorded_http import RecordedServer, fixture_reply, recorded_http

__all__ = ["recorded_http"]
FILES = Path(__file__).parent / "data" / "files"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose data directory is empty."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    return {**clean, "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


def cli(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `dailypapers ARGS...`; by default insist that it succeeds."""
    proc = subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_init_loads_the_sample_and_papers_lists_the_latest_day(env: dict[str, str]) -> None:
    cli(env, "init")
    stats = json.loads(cli(env, "stats", "--json").stdout)
    assert stats["papers"] > 2000 and stats["featured"] > 1900 and stats["votes"] == 0
    latest = json.loads(cli(env, "papers", "--json").stdout)
    assert latest and len({p["feature_date"] for p in latest}) == 1
    upvotes = [p["upvotes"] for p in latest]
    assert upvotes == sorted(upvotes, reverse=True)
    month = json.loads(
        cli(env, "papers", "--month", latest[0]["feature_date"][:7], "--json").stdout
    )
    assert {p["arxiv_id"] for p in latest} < {p["arxiv_id"] for p in month}
    hot = json.loads(cli(env, "trending", "--limit", "5", "--json").stdout)  # the site's score
    assert len(hot) == 5 and [t["score"] for t in hot] == sorted(t["score"] for t in hot)[::-1]
    assert all(t["age_days"] >= 0 for t in hot)
    assert "Confirmations waiting (0)" in cli(env, "subscribers", "waiting").stdout
    again = cli(env, "init").stdout
    assert "2,371" in again or "unchanged" in again
    assert json.loads(cli(env, "stats", "--json").stdout) == stats


def test_init_without_sample_is_empty(env: dict[str, str]) -> None:
    cli(env, "init", "--no-sample")
    assert json.loads(cli(env, "stats", "--json").stdout)["papers"] == 0
    assert json.loads(cli(env, "papers", "--json").stdout) == []


def test_import_reports_counts_and_rejections(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "snapshot.jsonl"
    lines = (FILES / "arxiv-snapshot.sample.jsonl").read_text().splitlines()
    bad.write_text("\n".join([*lines[:5], "{not json", *lines[5:]]) + "\n")
    out = cli(env, "import", str(bad)).stdout
    assert "snapshot.jsonl:6" in out
    assert json.loads(cli(env, "stats", "--json").stdout)["papers"] == len(lines)
    strict = cli(env, "import", "--strict", str(bad), ok=False)
    assert_one_line_error(strict, "snapshot.jsonl:6")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["papers", "--date", "2024-13-01"], "2024-13-01"),
        (["papers", "--week", "2024-W60"], "2024-W60"),
        (["import", "/no/such/file.jsonl"], "/no/such/file.jsonl"),
        (["import", "--format", "xml", "x"], "xml"),
        (["fetch", "arxiv", "--category", "cs.CL", "--since", "yesterday"], "yesterday"),
    ],
)
def test_bad_arguments_give_one_clear_line(
    env: dict[str, str], args: list[str], needle: str
) -> None:
    assert_one_line_error(cli(env, *args, ok=False), needle)


def test_malformed_files_give_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(gzip.compress((FILES / "hf-daily.sample.jsonl").read_bytes())[:-40])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    for path in (truncated, empty):
        assert_one_line_error(cli(env, "import", "--format", "hf", str(path), ok=False), path.name)


def test_unreachable_arxiv_is_one_line(env: dict[str, str]) -> None:
    env = {
        **env,
        "DAILYPAPERS_ARXIV_API_URL": "http://127.0.0.1:9/api/query",
        "DAILYPAPERS_ARXIV_DELAY_SECONDS": "0",
        "DAILYPAPERS_ARXIV_MAX_RETRIES": "0",
    }
    proc = cli(env, "fetch", "arxiv", "--category", "cs.CL", "--since", "2024-08-01", ok=False)
    assert_one_line_error(proc, "127.0.0.1")


def test_fetch_arxiv_against_recorded_responses(
    env: dict[str, str], recorded_http: RecordedServer
) -> None:
    recorded_http.add(
        "/api/query", {"start": "0"}, fixture_reply("api/q_testing_s0_m10_bc5a6c384fe9.xml")
    )
    recorded_http.add("/api/query", {}, fixture_reply("api/id_0000.0000_s0_m100_8b51d9633a68.xml"))
    env = {
        **env,
        "DAILYPAPERS_ARXIV_API_URL": f"{recorded_http.base}/api/query",
        "DAILYPAPERS_ARXIV_DELAY_SECONDS": "0",
    }
    cli(env, "init", "--no-sample")
    args = (
        "fetch",
        "arxiv",
        "--category",
        "cs.CL",
        "--since",
        "2024-08-01",
        "--until",
        "2024-08-02",
    )
    cli(env, *args)
    assert json.loads(cli(env, "stats", "--json").stdout)["papers"] == 10
    assert "cat:cs.CL" in recorded_http.requests[0]["search_query"]
    cli(env, *args)
    assert json.loads(cli(env, "stats", "--json").stdout)["papers"] == 10


COMMANDS = [
    [], ["init"], ["import"], ["fetch"], ["fetch", "arxiv"], ["fetch", "oai"], ["papers"],
    ["stats"], ["db"], ["db", "upgrade"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    out = cli(env, *command, "--help").stdout
    assert "Usage:" in out and "--help" in out


def test_db_upgrade_keeps_data(env: dict[str, str], tmp_path: Path) -> None:
    cli(env, "import", str(FILES / "hf-daily.sample.jsonl"))
    before = json.loads(cli(env, "stats", "--json").stdout)
    assert "→" in cli(env, "db", "upgrade").stdout
    assert json.loads(cli(env, "stats", "--json").stdout) == before


def test_serve_defaults_to_a_worker_per_core(settings: Settings) -> None:
    """Rate limits live in the database, so SQLite gets several workers too."""
    cores = os.cpu_count() or 1
    sqlite = settings.resolved_database_url.startswith("sqlite")
    assert default_workers(settings) == (min(4, cores) if sqlite else min(8, 2 * cores))
    assert default_workers(settings.model_copy(update={"workers": 3})) == 3
