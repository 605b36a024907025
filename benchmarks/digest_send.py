"""Benchmark: build and send 10,000 personalised daily digests to a local SMTP sink.

Loads the bundled sample into a temporary SQLite instance, adds confirmed subscribers with
varied topics, authors and categories, starts aiosmtpd's Sink (discards mail) in its own
process, and times `send_digests` end to end: compose, render, claim, SMTP, record.

    .venv/bin/python benchmarks/digest_send.py [--subscribers 10000] [--date 2026-05-12]

Goal: 10,000 digests in at most 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from dailypapers.cli.data import load_sample
from dailypapers.config import load_settings
from dailypapers.digest.run import send_digests
from dailypapers.runtime import Runtime
from dailypapers.store.database import transaction
from dailypapers.store.schema import subscriptions, utcnow

TOPICS = [
    "diffusion", "language model", "agents", "reinforcement learning", "video generation",
    "retrieval", "reasoning", "benchmark", "multimodal", "robotics", "speech", "3d",
    "code generation", "alignment", "mixture of experts", "quantization", "world model",
]  # fmt: skip
AUTHORS = ["Guijin Son", "Bing Zhao", "George Wu", "Joowon Kim", "Bihui Yu"]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd's discarding Sink in a separate process (so it does not share our GIL)."""
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    sink = subprocess.Popen([*command, "-c", "aiosmtpd.handlers.Sink"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return sink
        time.sleep(0.05)
    sink.kill()
    raise RuntimeError("the SMTP sink did not start")


def add_subscribers(rt: Runtime, count: int) -> None:
    """Confirmed subscribers with 1-3 topics, sometimes an author; one transaction."""
    rows = [
        {
            "email": f"reader{i}@bench.example",
            "cadence": "daily",
            "topics": [TOPICS[(i * k) % len(TOPICS)] for k in range(1, 2 + i % 3)],
            "followed_authors": [AUTHORS[i % len(AUTHORS)]] if i % 4 == 0 else [],
            "categories": [],
            "status": "active",
            "confirmed_at": utcnow(),
        }
        for i in range(count)
    ]
    with transaction(rt.engine) as conn:
        conn.execute(subscriptions.insert(), rows)


def main() -> None:
    """Set up, run once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 5, 12))
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DAILYPAPERS_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ.pop("DAILYPAPERS_DATABASE_URL", None)
        rt = Runtime(
            load_settings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_security="none",
                send_rate_per_second=0,
                base_url="https://papers.example.org",
            )
        )
        rt.ensure_schema()
        load_sample(rt)
        add_subscribers(rt, args.subscribers)
        sink = start_sink(port)
        try:
            started = time.perf_counter()
            report = send_digests(rt, "daily", args.date)
            elapsed = time.perf_counter() - started
        finally:
            sink.terminate()
            sink.wait()
            rt.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"subscribers: {args.subscribers:,}  period: daily {args.date}")
    print(f"report: {report}")
    print(f"total: {elapsed:.1f} s  rate: {report.sent / elapsed:.0f} messages/s")
    print(f"peak memory (maxrss): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
