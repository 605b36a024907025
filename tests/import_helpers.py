"""Helpers for the import tests that kill an import halfway (row path and bulk path)."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from dailypapers.services.feed import counts

FILES = Path(__file__).parent / "data" / "files"


def write_large_hf_file(path: Path, copies: int) -> int:
    """Real HF records repeated under distinct made-up ids, so the import takes a while;
    how many records were written."""
    records = [json.loads(x) for x in (FILES / "hf-daily.sample.jsonl").read_text().splitlines()]
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for n in range(copies * len(records)):
            rec = records[n % len(records)]
            item = {**rec, "paper": {**rec["paper"], "id": f"9901.{n:05d}"}}
            out.write(json.dumps(item) + "\n")
    return copies * len(records)


def kill_import_halfway(cmd: list[str], env: dict[str, str], engine: sa.Engine, total: int) -> None:
    """Start the import `cmd` and kill -9 it once a quarter of `total` papers are stored;
    fails unless it really stopped partway."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while counts(engine)["papers"] < total // 4 and proc.poll() is None:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 0 < counts(engine)["papers"] < total, "the import was not interrupted halfway"
