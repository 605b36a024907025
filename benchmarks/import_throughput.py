"""Import throughput: records/s, peak memory and database size, per format, backend and path.

Usage:
  python benchmarks/import_throughput.py [--records 100000] [--formats snapshot,hf]
      [--backends sqlite,postgres] [--paths bulk] [--floor-records N]
  python benchmarks/import_throughput.py --records 1000000 --formats snapshot --backends sqlite

The input files are made from the bundled real sample (Hugging Face daily-papers records):
each record is repeated under made-up, distinct arXiv ids, and written in the HF format and
converted to the arXiv metadata snapshot format. Each import runs in a fresh subprocess so
that its peak RSS (ru_maxrss) is its own; the bulk path's reading process is reported apart
(its RUSAGE_CHILDREN peak). PostgreSQL comes from pgserver. Embedding is not part of an
import and not timed here (`dailypapers reindex` does it afterwards).

The floor, measured in the same run for each format: the same file parsed by the same reader
and written, 500 records a transaction, into a bare SQLite table with an FTS5 index over title
and abstract: no checks, dedup or normalisation beyond the reader's, no authors or categories,
one process. The ratio to it says how much the store's own work costs (the issue's goal:
>= 5,000 records/s on both backends). With --floor-records the floor reads only the first N
records of the file (a 1,000,000-record floor alone would take minutes).

The records/s column counts everything until the imported papers can be found by keyword:
on SQLite that includes the merge of the keyword index's segments when the import ends
(store.bulk.finish_bulk), printed apart with the rate before it ("rows in"), and the CPU
seconds of the importing and the reading process (under load from other work, the rate
falls while the CPU seconds barely move).

For every import the rate of each 100,000-record stretch is kept, so a large run shows
whether the rate falls as the store grows (first vs last stretch), and 2.9 million records
(the full arXiv snapshot) are extrapolated from the rate of the last stretch: linear, i.e.
assuming the rate stays at least that of the last stretch (the store's indexes are B-trees,
so each insert's cost grows with the logarithm of the size).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dailypapers.ingest.bundled import sample_files

FORMATS = {"snapshot": "arxiv-dump", "hf": "hf"}
STRETCH = 100_000
FULL_ARXIV = 2_900_000


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


def write_inputs(folder: Path, n: int, formats: list[str]) -> dict[str, Path]:
    """One gzipped JSON-lines file per format asked for."""
    records = _sample_records()
    paths = {f: folder / f"{f}.jsonl.gz" for f in formats}
    with contextlib.ExitStack() as stack:
        files = {f: stack.enter_context(gzip.open(p, "wt", 1)) for f, p in paths.items()}
        for item in _hf_lines(records, n):
            if "hf" in files:
                files["hf"].write(json.dumps(item) + "\n")
            if "snapshot" in files:
                files["snapshot"].write(json.dumps(_snapshot_line(item)) + "\n")
    return paths


IMPORT_CODE = """
import json, resource, sys, time
from pathlib import Path
from dailypapers.config import load_settings
from dailypapers.runtime import Runtime
from dailypapers.ingest import loader
path, fmt, url, bulk, batch, stretch = sys.argv[1:7]
merged = [0.0]
def timed_finish(engine, written, finish=loader.finish_bulk):
    began = time.perf_counter()
    finish(engine, written)
    merged[0] = time.perf_counter() - began
loader.finish_bulk = timed_finish
rt = Runtime(load_settings(database_url=url))
rt.ensure_schema()
marks, seen = [], [0]
def tick(n):
    seen[0] += n
    if seen[0] % int(stretch) == 0:
        marks.append(time.perf_counter() - start)
start = time.perf_counter()
cpu = time.process_time()
report = loader.import_file(rt.engine, Path(path), fmt=fmt, bulk=bulk == "bulk",
                            batch_size=int(batch), on_record=tick)
cpu = time.process_time() - cpu
seconds = time.perf_counter() - start
if url.startswith("sqlite"):
    with rt.engine.connect() as conn:  # the size of the database, not of a WAL not yet copied
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db = Path(url.removeprefix("sqlite:///"))
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
else:
    with rt.engine.connect() as conn:
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
mib = lambda who: resource.getrusage(who).ru_maxrss // 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "finish": merged[0], "cpu": cpu,
                  "reader_cpu": child.ru_utime + child.ru_stime,
                  "inserted": report.inserted, "rejected": len(report.rejected),
                  "rss": mib(resource.RUSAGE_SELF), "reader_rss": mib(resource.RUSAGE_CHILDREN),
                  "db_bytes": size, "marks": marks}))
"""


def run_import(path: Path, fmt: str, url: str, path_kind: str) -> dict[str, Any]:
    """Import `path` in a child process; its figures (see IMPORT_CODE)."""
    batch = "5000" if path_kind == "bulk" else "500"  # the settings' defaults
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_CODE, str(path), fmt, url, path_kind, batch, str(STRETCH)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


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
limit = int(sys.argv[4])
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
            if n == limit:
                break
if batch:
    flush()
print(json.dumps([time.perf_counter() - start, n]))
"""


def run_floor(path: Path, fmt: str, db: Path, limit: int) -> float:
    """Records/s of the floor (module docstring) for the first `limit` records of `path`."""
    out = subprocess.run(
        [sys.executable, "-c", FLOOR_CODE, str(path), fmt, str(db), str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, n = json.loads(out.stdout)
    return float(n / seconds)


def _database_urls(
    backends: list[str], formats: list[str], paths: list[str], folder: Path
) -> Iterator[tuple[str, str, str, str]]:
    """(backend, format, path, URL of a fresh database) for every combination."""
    server = None
    if "postgres" in backends:
        import pgserver  # test extra: ships PostgreSQL

        server = pgserver.get_server(folder / "pg", cleanup_mode="stop")
    try:
        for backend in backends:
            for fmt in formats:
                for kind in paths:
                    name = f"bench_{fmt}_{kind}"
                    if backend == "sqlite":
                        yield backend, fmt, kind, f"sqlite:///{folder / name}.sqlite3"
                        continue
                    assert server is not None
                    server.psql(f"CREATE DATABASE {name};")
                    uri = server.get_uri(name).replace("postgresql://", "postgresql+psycopg://")
                    yield backend, fmt, kind, uri
                    server.psql(f"DROP DATABASE {name};")
    finally:
        if server is not None:
            server.cleanup()


def _stretch_rates(marks: list[float]) -> list[float]:
    """Records/s of each STRETCH-record stretch, from the times at which each ended."""
    ends = [0.0, *marks]
    return [STRETCH / (b - a) for a, b in itertools.pairwise(ends) if b > a]


def _print_row(label: str, figures: dict[str, Any], floor: float) -> None:
    rate = figures["inserted"] / figures["seconds"]
    print(
        f"{label:<24}{figures['seconds']:>9.1f}{rate:>11,.0f}{rate / floor:>10.0%}"
        f"{figures['rss']:>10,}{figures['reader_rss']:>10,}{figures['db_bytes'] / 2**20:>11,.0f}"
    )
    rows_in = figures["inserted"] / (figures["seconds"] - figures["finish"])
    print(
        f"{'':<24}rows in {rows_in:,.0f}/s; searchable {rate:,.0f}/s (the above: the final"
        f" keyword-index merge took {figures['finish']:.1f} s); CPU s: importer"
        f" {figures['cpu']:,.1f}, reader {figures['reader_cpu']:,.1f}"
    )
    stretches = _stretch_rates(figures["marks"])
    if len(stretches) >= 2:
        hours = (FULL_ARXIV - figures["inserted"]) / stretches[-1] / 3600
        total = figures["seconds"] / 3600 + hours
        print(f"{'':<24}per 100k, records/s: {', '.join(f'{r:,.0f}' for r in stretches)}")
        print(
            f"{'':<24}first {stretches[0]:,.0f}/s, last {stretches[-1]:,.0f}/s"
            f" ({stretches[-1] / stretches[0] - 1:+.0%}); 2.9M records: {total:.2f} h"
            " (measured part, then the last stretch's rate)"
        )
    elif figures["inserted"]:
        print(f"{'':<24}2.9M records at this rate: {FULL_ARXIV / rate / 3600:.2f} h")


def main() -> None:
    """Print the floor per format, then one row per (backend, format, path)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--formats", default="snapshot,hf", help="snapshot, hf")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--paths", default="bulk", help="bulk, row (the per-record path)")
    parser.add_argument("--floor-records", type=int, default=None, help="default: --records")
    args = parser.parse_args()
    formats = args.formats.split(",")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_inputs(folder, args.records, formats)
        print(f"{args.records:,} records per file, synthesised from the bundled real sample")
        limit = args.floor_records or args.records
        floors = {
            f: run_floor(p, FORMATS[f], folder / f"floor-{f}.sqlite3", limit)
            for f, p in files.items()
        }
        for f, rate in floors.items():
            print(f"floor/{f:<18}{rate:>20,.0f}  (first {limit:,}: parse + bare table + FTS5)")
        print(
            f"{'backend/format/path':<24}{'seconds':>9}{'records/s':>11}{'of floor':>10}"
            f"{'RSS MiB':>10}{'reader':>10}{'DB MiB':>11}"
        )
        for backend, f, kind, url in _database_urls(
            args.backends.split(","), formats, args.paths.split(","), folder
        ):
            figures = run_import(files[f], FORMATS[f], url, kind)
            assert figures["inserted"] == args.records, figures
            _print_row(f"{backend}/{f}/{kind}", figures, floors[f])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
