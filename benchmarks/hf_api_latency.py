"""Latency (p50/p99, uncached) of the Hugging Face-compatible JSON API on the bundled sample.

Starts `dailypapers serve` with one worker on the bundled sample (loaded because the data
directory is new; see web_load.py), then sends sequential GETs over one keep-alive loopback
connection. Every request carries a query parameter of its own, so the page cache never
answers it (but the `page cache` row, which repeats one URL: what moving the page costs).
Bodies are asked for uncompressed (`Accept-Encoding: identity`, as wrk does); the `gzip`
rows show what compressing a ~600 kB page adds (GZipMiddleware, level 6). The `after a
write` row bumps the shared `pages` generation before each request, as a write on any node
does, so the server also re-reads and re-encodes every item (its fragment cache,
web.page_cache.FragmentCache, is dropped): the cost of the first page after each write.

The client is the standard library's http.client, which reads a body in one buffered read:
httpx, used before, parsed a 600 kB body in ~2.5 ms of its own (page-cache hits: 3.0 vs
0.6 ms p50, `--client httpx` shows it), time spent in the client and counted as latency.
Decompressing and parsing the answer are done after the clock stops.

    python benchmarks/hf_api_latency.py [--requests 300] [--limit 100] [--client httpx]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
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


class Client:
    """GETs over one keep-alive loopback connection, by http.client or httpx (`--client`)."""

    def __init__(self, port: int, kind: str) -> None:
        self.plain = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.httpx = httpx.Client(base_url=f"http://127.0.0.1:{port}") if kind == "httpx" else None

    def get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
        """Status, body as sent (httpx: decoded) and its Content-Encoding."""
        if self.httpx is not None:
            response = self.httpx.get(url, headers=headers, timeout=60)
            return response.status_code, response.content, "identity"
        self.plain.request("GET", url, headers=headers)
        answer = self.plain.getresponse()
        return answer.status, answer.read(), answer.getheader("Content-Encoding") or "identity"

    def close(self) -> None:
        self.plain.close()
        if self.httpx is not None:
            self.httpx.close()


def measure(
    client: Client,
    url: str,
    n: int,
    encoding: str,
    pid: int,
    before: Callable[[], None],
    *,
    same_url: bool = False,
) -> tuple[float, float, float, int]:
    """p50 and p99 in ms over n GETs (uncached unless `same_url`), the server's CPU ms per
    request (robust on a busy machine, where wall times stretch), and the item count of the
    last answer; `before` runs ahead of each request, untimed."""
    sep = "&" if "?" in url else "?"
    headers = {"Accept-Encoding": encoding}
    for i in range(5):  # warm up: statement caches, the connection
        client.get(url if same_url else f"{url}{sep}_warm={i}", headers)
    times, count, cpu = [], 0, _cpu_seconds(pid)
    for i in range(n):
        before()  # the server does nothing meanwhile: its CPU over the loop is the requests'
        start = time.perf_counter()
        status, body, coding = client.get(url if same_url else f"{url}{sep}_uncached={i}", headers)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, body[:200]
        answer = json.loads(gzip.decompress(body) if coding == "gzip" else body)
        count = len(answer) if isinstance(answer, list) else 1
    cpu_ms = (_cpu_seconds(pid) - cpu) * 1000 / n
    return statistics.median(times), _percentile(times, 0.99), cpu_ms, count


def noop() -> None:
    """Nothing to do before a request."""


def main() -> None:
    """Start the server, measure each URL, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--client", choices=["http.client", "httpx"], default="http.client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        proc = start_server(Path(tmp), port, workers=1)
        engine = create_engine(Settings(data_dir=Path(tmp)).resolved_database_url)

        def write() -> None:
            with transaction(engine) as conn:
                generations.bump(conn)

        client = Client(port, args.client)
        try:
            some_id = json.loads(client.get("/api/daily_papers?limit=1", {})[1])[0]["paper"]["id"]
            n = args.limit
            rows = [
                ("/api/daily_papers?limit=1", "identity"),
                (f"/api/daily_papers?limit={n}", "page cache"),
                (f"/api/daily_papers?limit={n}", "identity"),
                (f"/api/daily_papers?limit={n}", "after a write"),
                (f"/api/daily_papers?limit={n}", "gzip"),
                (f"/api/daily_papers?limit={n}&p=5", "identity"),
                (f"/api/daily_papers?month=2026-06&limit={n}", "identity"),
                (f"/api/daily_papers?week=2026-W23&sort=trending&limit={n}", "identity"),
                (f"/api/papers/{some_id}", "identity"),
            ]
            print(f"client: {args.client}")
            head = f"{'url':<58} {'enc':>13} {'items':>5} {'p50 ms':>7} {'p99 ms':>7}"
            print(head + f" {'cpu ms/req':>10}")
            for url, kind in rows:
                encoding = "identity" if kind in ("after a write", "page cache") else kind
                before = write if kind == "after a write" else noop
                p50, p99, cpu, count = measure(
                    client, url, args.requests, encoding, proc.pid, before,
                    same_url=kind == "page cache",
                )  # fmt: skip
                print(f"{url:<58} {kind:>13} {count:>5} {p50:>7.1f} {p99:>7.1f} {cpu:>10.1f}")
        finally:
            client.close()
            engine.dispose()
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
