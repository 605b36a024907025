"""`digest send` as a process: killed mid-run, run again, each digest goes out once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from dailypapers.config import load_settings
from dailypapers.runtime import Runtime
from dailypapers.services import subscriptions as svc
from dailypapers.store.subscriptions import Interests
from digest_helpers import Spec, feature, mail_server
from smtp_server import Scripted

DAY = "2026-05-11"
READERS = [f"reader{i}@example.org" for i in range(6)]


@pytest.fixture
def slow_smtp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Scripted]:
    """A slow server (0.3 s per recipient) and an instance on SQLite with six readers."""
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("DAILYPAPERS_DELIVERY_LEASE_SECONDS", "1")
    monkeypatch.delenv("DAILYPAPERS_CONFIG", raising=False)
    with mail_server(monkeypatch, Scripted(rcpt_delay=0.3)) as handler:
        rt = Runtime(load_settings())
        rt.ensure_schema()
        feature(
            rt, date.fromisoformat(DAY), [Spec("Scaling Diffusion Models", 9), Spec("Agents", 4)]
        )
        for email in READERS:
            svc.add_confirmed(rt, email, Interests())
        rt.close()
        yield handler


def cli(*args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "dailypapers", *args]
    return subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.PIPE)


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_sender_killed_mid_run_then_rerun_sends_each_digest_once(slow_smtp: Scripted) -> None:
    sender = cli("digest", "send", "--cadence", "daily", "--date", DAY)
    # Kill while the server holds the third recipient: two digests are sent and
    # recorded, the third is claimed but not yet transmitted.
    wait_for(lambda: slow_smtp.count >= 2 and slow_smtp.in_rcpt > slow_smtp.count)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    assert 2 <= slow_smtp.count < len(READERS)
    time.sleep(1.1)  # the killed sender's lease runs out
    rerun = cli("digest", "send", "--cadence", "daily", "--date", DAY)
    out, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, out
    recipients = Counter(to for _, tos in slow_smtp.envelopes for to in tos)
    assert recipients == Counter(READERS)
