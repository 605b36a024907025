"""Serve memory benchmark: resident memory of `dailypapers serve` on the bundled sample.

Starts `serve` in a temporary data directory (the sample is loaded because the database is
new), waits for the first page, runs a few searches (one per worker at least, so every worker
that would load the model has), then sums RSS and PSS over the whole process tree (parent and
uvicorn workers) from /proc. PSS splits shared pages between the processes that share them,
so its sum is the memory the tree really costs; the RSS sum counts shared pages once per
process.

    .venv/bin/python benchmarks/serve_memory.py [--workers N] [--searches 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids = (task / "children").read_text().split()
        out.extend(int(k) for k in kids)
    return out


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        try:
            todo.extend(_children(current))
        except FileNotFoundError:
            continue
    return tree


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB, from /proc/PID/smaps_rollup."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == "Rss":
            rss = int(rest.split()[0])
        elif name == "Pss":
            pss = int(rest.split()[0])
    return rss, pss


def _cmdline(pid: int) -> str:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return raw.strip()[:90]


def _wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("serve did not answer within 180 s")


def main() -> None:
    """Start serve, search, print per-process and total RSS/PSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--searches", type=int, default=8)
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="dp-mem-") as tmp:
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": tmp}
        env.pop("DAILYPAPERS_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_up(port, proc)
            print(f"first page after {time.monotonic() - started:.1f} s")
            queries = ["diffusion models", "graph neural networks", "speech recognition"]
            for i in range(args.searches):
                q = queries[i % len(queries)]
                r = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": q}, timeout=60)
                r.raise_for_status()
            time.sleep(1.0)
            total_rss = total_pss = 0
            print(f"{'pid':>7} {'RSS MB':>8} {'PSS MB':>8}  command")
            for pid in process_tree(proc.pid):
                rss, pss = memory_kib(pid)
                total_rss, total_pss = total_rss + rss, total_pss + pss
                print(f"{pid:>7} {rss / 1024:8.0f} {pss / 1024:8.0f}  {_cmdline(pid)}")
            print(f"{'total':>7} {total_rss / 1024:8.0f} {total_pss / 1024:8.0f}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
