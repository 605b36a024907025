"""Import throughput: records/s and peak memory for 100,000 records, per format and backend.

Usage: python benchmarks/import_throughput.py [--records 100000] [--backends sqlite,postgres]

The input files are made from the bundled real sample (Hugging Face daily-papers records):
each record is repeated under made-up, distinct arXiv ids, and written once in the HF format
and once converted to the arXiv metadata snapshot format. Each import runs in a fresh
subprocess so that its peak RSS (ru_maxrss) is its own; PostgreSQL comes from pgserver.

The floor, measured in the same run for each format: the same file parsed by the same reader
and written, 500 records a transaction (the importer's default batch), into a bare SQLite
table with an FTS5 index over title and abstract: no dedup, no normalisation beyond the
reader's, no authors or categories. The importer's ratio to it says how much of its time is
the store's own work (the issue's goal: >= 5,000 records/s on both backends).
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dailypapers.ingest.bundled import sample_files


def _sample_records() -> list[dict[str, Any]]:
    hf = next(p for p in sample_files() if p.name.startswith("hf-"))
    with gzip.open(hf, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _hf_lines(records: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        rec = records[i % len(records)]
        yield {**rec, "paper": {**rec["paper"], "id": f"{9000 + i // 100000}.{i % 100000:05d}"}}


def _snapshot_line(item: dict[str, Any]) -> dict[str, Any]:
    paper = item["paper"]
    names = [a["name"] for a in paper.get("authors", [])]
    return {
        "id": paper["id"],
        "title": paper["title"],
        "abstract": paper["summary"],
        "authors": ", ".join(names),
        "authors_parsed": [[n.split(" ")[-1], " ".join(n.split(" ")[:-1]), ""] for n in names],
        "categories": "cs.CL cs.LG",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
        "update_date": "2024-05-01",
    }


def write_inputs(folder: Path, n: int) -> dict[str, Path]:
    """Both input files, gzipped JSON lines."""
    records = _sample_records()
    paths = {"hf": folder / "hf.jsonl.gz", "arxiv-dump": folder / "snapshot.jsonl.gz"}
    with gzip.open(paths["hf"], "wt") as hf, gzip.open(paths["arxiv-dump"], "wt") as dump:
        for item in _hf_lines(records, n):
            hf.write(json.dumps(item) + "\n")
            dump.write(json.dumps(_snapshot_line(item)) + "\n")
    return paths


def run_one(path: Path, fmt: str, url: str) -> tuple[float, int, int]:
    """Import `path` in a child process: (seconds, records inserted, peak RSS in MiB)."""
    code = (
        "import sys, time, json\n"
        "from pathlib import Path\n"
        "from dailypapers.config import load_settings\n"
        "from dailypapers.runtime import Runtime\n"
        "from dailypapers.ingest.loader import import_file\n"
        "rt = Runtime(load_settings(database_url=sys.argv[3]))\n"
        "rt.ensure_schema()\n"
        "t = time.perf_counter()\n"
        "r = import_file(rt.engine, Path(sys.argv[1]), fmt=sys.argv[2])\n"
        "import resource\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "print(json.dumps([time.perf_counter() - t, r.inserted, peak]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), fmt, url],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, inserted, peak = json.loads(out.stdout)
    return seconds, inserted, peak


FLOOR_CODE = """
import sqlite3, sys, time, json
from pathlib import Path
from dailypapers.ingest.detect import READERS
from dailypapers.ingest.source import open_text
from dailypapers.models import Parsed
db = sqlite3.connect(sys.argv[3], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, arxiv_id TEXT UNIQUE, title, abstract)")
db.execute("CREATE VIRTUAL TABLE f USING fts5(title, abstract, content=t, content_rowid=id,"
           " tokenize='porter unicode61 remove_diacritics 2')")
start, n, batch = time.perf_counter(), 0, []
def flush():
    db.execute("BEGIN IMMEDIATE")
    for r in batch:
        cur = db.execute("INSERT INTO t (arxiv_id, title, abstract) VALUES (?, ?, ?)", r)
        db.execute("INSERT INTO f (rowid, title, abstract) VALUES (?, ?, ?)",
                   (cur.lastrowid, r[1], r[2]))
    db.execute("COMMIT")
    batch.clear()
with open_text(Path(sys.argv[1])) as text:
    for item in READERS[sys.argv[2]](text, sys.argv[1]):
        if isinstance(item, Parsed):
            rec = item.record
            batch.append((rec.arxiv_id, rec.title, rec.abstract))
            n += 1
            if len(batch) == 500:
                flush()
if batch:
    flush()
print(json.dumps([time.perf_counter() - start, n]))
"""


def run_floor(path: Path, fmt: str, db: Path) -> float:
    """Records/s of the floor (module docstring) for ``path``, in a child process."""
    out = subprocess.run(
        [sys.executable, "-c", FLOOR_CODE, str(path), fmt, str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, n = json.loads(out.stdout)
    return float(n / seconds)


def _database_urls(backends: list[str], folder: Path) -> Iterator[tuple[str, Any]]:
    server = None
    if "postgres" in backends:
        import pgserver  # test extra: ships PostgreSQL

        server = pgserver.get_server(folder / "pg", cleanup_mode="stop")
    try:
        for backend in backends:
            for fmt in ("hf", "arxiv-dump"):
                name = f"bench_{fmt.replace('-', '_')}"
                if backend == "sqlite":
                    yield f"{backend}/{fmt}", f"sqlite:///{folder / name}.sqlite3"
                else:
                    assert server is not None
                    server.psql(f"CREATE DATABASE {name};")
                    uri = server.get_uri(name).replace("postgresql://", "postgresql+psycopg://")
                    yield f"{backend}/{fmt}", uri
    finally:
        if server is not None:
            server.cleanup()


def main() -> None:
    """Print one row per (backend, format)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_inputs(folder, args.records)
        print(f"{args.records:,} records per file, synthesised from the bundled real sample")
        floors = {
            fmt: run_floor(path, fmt, folder / f"floor-{fmt}.sqlite3")
            for fmt, path in paths.items()
        }
        for fmt, rate in floors.items():
            print(f"floor/{fmt:<16}{'':>9}{rate:>11,.0f}  (parse + bare table with FTS5)")
        header = f"{'backend/format':<22}{'seconds':>9}{'records/s':>11}{'peak RSS MiB':>14}"
        print(f"{header}{'of floor':>10}")
        for label, url in _database_urls(args.backends.split(","), folder):
            fmt = label.split("/")[1]
            seconds, inserted, peak = run_one(paths[fmt], fmt, url)
            assert inserted == args.records, f"{label}: inserted {inserted}"
            rate = inserted / seconds
            ratio = rate / floors[fmt]
            print(f"{label:<22}{seconds:>9.1f}{rate:>11,.0f}{peak:>14,}{ratio:>10.0%}")
            hours = 2_900_000 / rate / 3600
            print(f"{'':<22}2.9M records at this rate: {hours:.2f} h")


if __name__ == "__main__":
    main()
