"""Web load benchmark: requests/s and p50/p99 latency of the main pages under concurrency.

Starts `dailypapers serve` (as many workers as `serve` picks: one per core, at most 4, on
SQLite) on the bundled sample in a temporary data directory, then drives each URL with `wrk`
when installed (`apt-get install -y wrk`), else with N concurrent httpx clients. Prints a table.

    .venv/bin/python benchmarks/web_load.py [--connections 16] [--seconds 10] [--workers N]
        [--uncached]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Result:
    """One URL's throughput and latency."""

    path: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float = 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    """`dailypapers serve` on the sample (loaded because the database is new)."""
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(data_dir)}
    env.pop("DAILYPAPERS_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


UNCACHED_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "_uncached=" .. counter .. "-" .. math.random(1e9))
end
"""
"""Gives every request a query string of its own, so the page cache never answers it."""


def run_wrk(url: str, connections: int, seconds: int, uncached: bool) -> Result:
    """Drive one URL with wrk (2 threads) and parse its latency distribution."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(UNCACHED_LUA)
        script.flush()
        extra = ["-s", script.name] if uncached else []
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    path = "/" + url.split("/", 3)[3]
    return Result(
        path,
        total,
        rps,
        _ms(percentiles["50"]),
        _ms(percentiles["99"]),
        int(errors.group(1)) if errors else 0,
    )


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


async def _httpx_load(url: str, connections: int, seconds: int, uncached: bool) -> Result:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    sep = "&" if "?" in url else "?"

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            target = f"{url}{sep}_uncached={len(latencies)}-{os.urandom(4).hex()}"
            response = await client.get(target if uncached else url)
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += response.status_code >= 400

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    q = statistics.quantiles(latencies, n=100)
    path = "/" + url.split("/", 3)[3]
    return Result(path, len(latencies), len(latencies) / seconds, q[49], q[98], errors)


def _cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process and its descendants (the uvicorn workers), from
    Linux /proc, to report cost independent of load."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        times[child] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in tree)


def measure(url: str, connections: int, seconds: int, server_pid: int, uncached: bool) -> Result:
    """wrk when available (it does not compete for the GIL), else httpx; plus server CPU/req."""
    before = _cpu_seconds(server_pid)
    if shutil.which("wrk"):
        result = run_wrk(url, connections, seconds, uncached)
    else:
        result = asyncio.run(_httpx_load(url, connections, seconds, uncached))
    cpu_ms = (_cpu_seconds(server_pid) - before) * 1000 / max(result.requests, 1)
    return replace(result, cpu_ms=cpu_ms)


def main() -> None:
    """Start the server, warm it up, measure each page, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="a unique query string per request, so every page is rendered (signed-in users)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        proc = start_server(Path(tmp), port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            home = httpx.get(base + "/").text
            paper = re.search(r'href="(/papers/\d{4}\.\d{4,5})"', home).group(1)  # type: ignore[union-attr]
            paths = ["/", paper, "/search?q=diffusion", "/api/daily_papers"]
            for path in paths:
                httpx.get(base + path, timeout=30)  # warm caches and connections
            results = [
                measure(base + p, args.connections, args.seconds, proc.pid, args.uncached)
                for p in paths
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    tool = "wrk" if shutil.which("wrk") else "httpx"
    cache = "every request rendered (--uncached)" if args.uncached else "page cache on"
    print(
        f"\n{args.connections} connections, {args.seconds}s per URL, {tool}, {os.cpu_count()} CPUs,"
        f" {cache}"
    )
    head = (
        f"{'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU ms/req':>10}"
    )
    print(f"{'path':32} {head}")
    for r in results:
        row = f"{r.requests:9d} {r.rps:8.1f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.errors:7d}"
        row += f" {r.cpu_ms:10.2f}"
        print(f"{r.path:32} {row}")


if __name__ == "__main__":
    main()
