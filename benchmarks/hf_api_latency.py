"""Latency (p50/p99, uncached) of the Hugging Face-compatible JSON API on the bundled sample.

Imports the bundled HF sample (2,002 real records) into a temporary SQLite database, builds
the app with `create_app`, and times GET requests in process (Starlette's TestClient, so the
figures are server work plus a small client overhead, no network). Every request carries a
query parameter of its own, so the anonymous page cache never answers it.

    python benchmarks/hf_api_latency.py [--requests 300] [--limit 100]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from dailypapers.config import Settings
from dailypapers.ingest.bundled import sample_files
from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _time(client: TestClient, url: str, n: int) -> tuple[float, float, int]:
    """p50 and p99 in ms over n uncached GETs, and the item count of the last answer."""
    sep = "&" if "?" in url else "?"
    for i in range(5):  # warm up the connection pool and the statement cache
        client.get(f"{url}{sep}_warm={i}")
    times, count = [], 0
    for i in range(n):
        start = time.perf_counter()
        response = client.get(f"{url}{sep}_uncached={i}")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        body = response.json()
        count = len(body) if isinstance(body, list) else 1
    return statistics.median(times), _percentile(times, 0.99), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="benchmark-only-" + "0" * 32)
        rt = Runtime(settings)
        rt.ensure_schema()
        hf_file = next(p for p in sample_files() if p.suffix == ".gz")
        report = import_file(rt.engine, hf_file)
        print(f"sample: {hf_file.name}, {report.inserted} papers imported")
        with TestClient(create_app(rt)) as client:
            some_id = client.get("/api/daily_papers?limit=1").json()[0]["paper"]["id"]
            urls = [
                f"/api/daily_papers?limit={args.limit}",
                f"/api/daily_papers?limit={args.limit}&p=5",
                f"/api/daily_papers?month=2026-06&limit={args.limit}",
                f"/api/daily_papers?week=2026-W23&sort=trending&limit={args.limit}",
                f"/api/papers/{some_id}",
            ]
            print(f"{'url':<60} {'items':>5} {'p50 ms':>8} {'p99 ms':>8}")
            for url in urls:
                p50, p99, count = _time(client, url, args.requests)
                print(f"{url:<60} {count:>5} {p50:>8.1f} {p99:>8.1f}")
        rt.close()


if __name__ == "__main__":
    main()
