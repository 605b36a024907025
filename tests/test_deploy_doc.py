"""docs/deploy.md: every `$ dailypapers ...` command in it, run in its order on a fresh
instance, does what the text says (serve starts and hands its leases back on SIGTERM)."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from dailypapers.config import Settings
from dailypapers.runtime import Runtime
from dailypapers.services.leases import current_leases
from recorded_http import RecordedServer, recorded_http
from test_cli import cli, env
from test_ingest_hf_feed import serve_recorded
from test_two_nodes import _free_port, _wait

__all__ = ["env", "recorded_http"]
DOC = Path(__file__).parents[1] / "docs" / "deploy.md"
BACKUPS = "/var/backups/dailypapers/"


def documented_commands() -> list[list[str]]:
    """The argument lists of the `$ dailypapers ...` lines, in order."""
    lines = re.findall(r"^\$ dailypapers (.+)$", DOC.read_text(), flags=re.MULTILINE)
    return [shlex.split(line) for line in lines]


def test_the_deploy_guide_commands_run_as_documented(
    env: dict[str, str], recorded_http: RecordedServer, tmp_path: Path
) -> None:
    serve_recorded(recorded_http)
    env = {
        **env,
        "DAILYPAPERS_SYNC_SOURCES": "hf",
        "DAILYPAPERS_HF_API_URL": recorded_http.base,
        "DAILYPAPERS_HF_DELAY_SECONDS": "0",
        "DAILYPAPERS_SYNC_FIRST_DAYS": "1",
        "DAILYPAPERS_PORT": str(_free_port()),
    }
    commands = documented_commands()
    assert [c[0] for c in commands] == [
        "init", "user", "serve", "sync", "sync", "db", "db", "db"
    ]  # fmt: skip
    for args in commands:
        args = [a.replace(BACKUPS, f"{tmp_path}/backups/") for a in args]
        if args == ["serve"]:
            check_serve(env, tmp_path)
            continue
        stdin = "a long admin password\n" if "--password-stdin" in args else None
        proc = subprocess.run(
            [sys.executable, "-m", "dailypapers", *args],
            env=env, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, (args, proc.stderr)
        if args[:2] == ["sync", "status"]:
            assert " hf " in proc.stdout and " ok " in proc.stdout
        if args[:2] == ["db", "backup"]:
            assert Path(args[2]).stat().st_size > 0
    [backup] = (tmp_path / "backups").iterdir()
    copy = Runtime(Settings(data_dir=tmp_path, database_url=f"sqlite:///{backup}"))
    with copy.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT username FROM users").scalars().all() == ["admin"]
    copy.close()
    again = cli(env, "db", "backup", str(backup), ok=False)
    assert "already exists" in again.stderr


def check_serve(env: dict[str, str], tmp_path: Path) -> None:
    """Start `serve` as the guide does, see a page, stop it with SIGTERM (systemd's way)."""
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--workers", "1"],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{env['DAILYPAPERS_PORT']}"
    try:
        _wait(lambda: _answers(url) or process.poll() is not None, "serve to start")
        assert httpx.get(url + "/api/daily_papers").status_code == 200
        settings = Settings(data_dir=Path(env["DAILYPAPERS_DATA_DIR"]))
        rt = Runtime(settings)
        _wait(lambda: current_leases(rt.engine), "serve to take its leases")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert current_leases(rt.engine) == [], (tmp_path / "serve.log").read_text()
    rt.close()


def _answers(url: str) -> bool:
    """Whether anything listens (an empty instance has no front page yet: 404)."""
    try:
        httpx.get(url + "/api/daily_papers", timeout=2)
    except httpx.HTTPError:
        return False
    return True
