"""Imports end to end on both backends: counts, idempotency, bad records, crash and resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.ingest.bundled import sample_files
from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime
from dailypapers.services.feed import counts
from dailypapers.store.schema import features, paper_authors, papers
from import_helpers import FILES, kill_import_halfway, write_large_hf_file


def snapshot(engine: sa.Engine) -> list[tuple[object, ...]]:
    """Everything an import writes, in a comparable, order-independent form."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(papers.c.arxiv_id, papers.c.title, papers.c.abstract, papers.c.content_hash)
        ).all()
        n_authors = conn.execute(sa.select(sa.func.count()).select_from(paper_authors)).scalar()
        feats = conn.execute(
            sa.select(features.c.feature_date, papers.c.arxiv_id).join(papers)
        ).all()
    return [*sorted(map(tuple, rows), key=repr), (n_authors,), *sorted(map(tuple, feats), key=repr)]


def test_bundled_sample_imports_then_reports_no_changes(rt: Runtime) -> None:
    first = [import_file(rt.engine, p) for p in sample_files()]
    second = [import_file(rt.engine, p) for p in sample_files()]
    assert sum(r.inserted for r in first) == counts(rt.engine)["papers"] > 2000
    assert all(not r.rejected for r in first)
    assert sum(r.inserted + r.updated for r in second) == 0
    assert sum(r.unchanged for r in second) == sum(r.total for r in first)


def test_one_bad_record_among_many_is_reported_with_its_line(rt: Runtime, tmp_path: Path) -> None:
    lines = (FILES / "hf-daily.sample.jsonl").read_text().splitlines()
    lines.insert(3, '{"paper": {"id": "2401.1')
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(rt.engine, path, fmt="hf")
    assert report.inserted == len(lines) - 1
    assert [r.location for r in report.rejected] == ["mixed.jsonl:4"]
    with pytest.raises(InputError, match=r"mixed\.jsonl:4"):
        import_file(rt.engine, path, fmt="hf", strict=True, batch_size=1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_killed_halfway_then_rerun_ends_in_the_same_state(
    rt: Runtime, tmp_path: Path
) -> None:
    big = tmp_path / "big.jsonl.gz"
    total = write_large_hf_file(big, copies=1000)
    env = {**os.environ, "DAILYPAPERS_IMPORT_BATCH_SIZE": "50"}
    cmd = [sys.executable, "-m", "dailypapers", "import", str(big)]
    kill_import_halfway(cmd, env, rt.engine, total)
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    resumed = snapshot(rt.engine)

    clean = Runtime(rt.settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/c.db"}))
    clean.ensure_schema()
    import_file(clean.engine, big)
    assert resumed == snapshot(clean.engine)
    assert counts(rt.engine)["papers"] == total
