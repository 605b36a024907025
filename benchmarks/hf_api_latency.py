"""Latency (p50/p99, uncached) of the Hugging Face-compatible JSON API on the bundled sample.

Starts `dailypapers serve` with one worker on the bundled sample (loaded because the data
directory is new; see web_load.py), then sends sequential GETs over one keep-alive loopback
connection. Every request carries a query parameter of its own, so the page cache never
answers it. Bodies are asked for uncompressed (`Accept-Encoding: identity`, as wrk does); the
`gzip` rows show what compressing a ~600 kB page adds (GZipMiddleware, level 6). The
`after a write` row bumps the shared `pages` generation before each request, as a write on
any node does, so the server also re-reads and re-encodes every item (its fragment cache,
web.page_cache.FragmentCache, is dropped): the cost of the first page after each write.

    python benchmarks/hf_api_latency.py [--requests 300] [--limit 100]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from web_load import _cpu_seconds, _free_port, start_server

from dailypapers.config import Settings
from dailypapers.store import generations
from dailypapers.store.database import create_engine, transaction


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    client: httpx.Client,
    url: str,
    n: int,
    encoding: str,
    pid: int,
    before: Callable[[], None],
) -> tuple[float, float, float, int]:
    """p50 and p99 in ms over n uncached GETs, the server's CPU ms per request (robust on a
    busy machine, where wall times stretch), and the item count of the last answer;
    `before` runs ahead of each request, untimed."""
    sep = "&" if "?" in url else "?"
    headers = {"Accept-Encoding": encoding}
    for i in range(5):  # warm up: statement caches, the connection
        client.get(f"{url}{sep}_warm={i}", headers=headers)
    times, count, cpu = [], 0, _cpu_seconds(pid)
    for i in range(n):
        before()  # the server does nothing meanwhile: its CPU over the loop is the requests'
        start = time.perf_counter()
        response = client.get(f"{url}{sep}_uncached={i}", headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:200]
        body = response.json()
        count = len(body) if isinstance(body, list) else 1
    cpu_ms = (_cpu_seconds(pid) - cpu) * 1000 / n
    return statistics.median(times), _percentile(times, 0.99), cpu_ms, count


def noop() -> None:
    """Nothing to do before a request."""


def main() -> None:
    """Start the server, measure each URL, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        proc = start_server(Path(tmp), port, workers=1)
        engine = create_engine(Settings(data_dir=Path(tmp)).resolved_database_url)

        def write() -> None:
            with transaction(engine) as conn:
                generations.bump(conn)

        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60) as client:
                some_id = client.get("/api/daily_papers?limit=1").json()[0]["paper"]["id"]
                n = args.limit
                rows = [
                    ("/api/daily_papers?limit=1", "identity"),
                    (f"/api/daily_papers?limit={n}", "identity"),
                    (f"/api/daily_papers?limit={n}", "after a write"),
                    (f"/api/daily_papers?limit={n}", "gzip"),
                    (f"/api/daily_papers?limit={n}&p=5", "identity"),
                    (f"/api/daily_papers?month=2026-06&limit={n}", "identity"),
                    (f"/api/daily_papers?week=2026-W23&sort=trending&limit={n}", "identity"),
                    (f"/api/papers/{some_id}", "identity"),
                ]
                head = f"{'url':<58} {'enc':>13} {'items':>5} {'p50 ms':>7} {'p99 ms':>7}"
                print(head + f" {'cpu ms/req':>10}")
                for url, kind in rows:
                    encoding, before = (
                        ("identity", write) if kind == "after a write" else (kind, noop)
                    )
                    p50, p99, cpu, count = measure(
                        client, url, args.requests, encoding, proc.pid, before
                    )
                    print(f"{url:<58} {kind:>13} {count:>5} {p50:>7.1f} {p99:>7.1f} {cpu:>10.1f}")
        finally:
            engine.dispose()
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
