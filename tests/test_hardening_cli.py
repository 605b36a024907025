"""The CLI says in one line what is wrong: a read-only database, a directory given as a file,
a misspelt CSV column; concurrent imports of one file both finish (issue 11, items 10, 11)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.errors import ConfigError
from dailypapers.ingest.loader import import_file
from dailypapers.models import ImportReport
from dailypapers.runtime import Runtime
from dailypapers.store.schema import papers

FILES = Path(__file__).parent / "data" / "files"


def _cli(tmp_path: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_")}
    env.update(DAILYPAPERS_DATA_DIR=str(tmp_path / "data"), COLUMNS="200")
    if url:
        env.update(DAILYPAPERS_DATABASE_URL=url, DAILYPAPERS_SECRET_KEY="k" * 40)
    return subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def _read_only_url(rt: Runtime, pg: object | None) -> str:
    """The same database, made read-only the way each backend is in real life: a SQLite file
    opened read-only, a PostgreSQL database whose transactions are read-only."""
    url = rt.engine.url.render_as_string(hide_password=False)
    rt.close()
    if rt.engine.dialect.name == "sqlite":
        return f"sqlite:///file:{rt.engine.url.database}?mode=ro&uri=true"
    name = rt.engine.url.database
    pg.psql(f"ALTER DATABASE {name} SET default_transaction_read_only = on;")  # type: ignore[attr-defined]
    return url


def test_read_only_database_is_refused_at_start(
    rt: Runtime, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pg = request.getfixturevalue("pg_server") if rt.engine.dialect.name != "sqlite" else None
    url = _read_only_url(rt, pg)
    with pytest.raises(ConfigError, match="read-only"):
        Runtime(rt.settings.model_copy(update={"database_url": url})).ensure_schema()
    _one_line_error(_cli(tmp_path, "stats", url=url), "read-only")


def test_importing_a_directory_names_it(tmp_path: Path) -> None:
    (tmp_path / "dump").mkdir()
    _one_line_error(_cli(tmp_path, "import", str(tmp_path / "dump")), "is a directory")


def test_a_misspelt_csv_column_is_named_without_format(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("arxiv_id,titel,abstract\n2401.00001,A title,An abstract\n")
    _one_line_error(_cli(tmp_path, "import", str(path)), "unknown column 'titel'")


def test_concurrent_imports_of_one_file_both_finish(rt: Runtime) -> None:
    """Both writers insert the same new papers at once; the loser of each race writes its
    batch again record by record (now updates), instead of dying on a unique violation."""
    path = FILES / "hf-daily.sample.jsonl"
    reports: list[ImportReport | BaseException] = []

    def run() -> None:
        try:
            reports.append(import_file(rt.engine, path, fmt="hf", batch_size=5))
        except BaseException as exc:
            reports.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, ImportReport) for r in reports), reports
    done = [r for r in reports if isinstance(r, ImportReport)]
    with rt.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
    assert all(not r.rejected for r in done)
    assert sum(r.inserted for r in done) == stored, "each paper counted inserted once"
    again = import_file(rt.engine, path, fmt="hf")
    assert again.inserted == 0 and again.total == done[0].total
