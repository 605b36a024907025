"""Imports: one bad record is rejected with its line and reason, and the rest imports
(issue 11, items 2, 4, 5 and the far-future feature date of 11), on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.ingest import loader
from dailypapers.ingest.loader import import_file
from dailypapers.models import PaperRecord, Parsed
from dailypapers.runtime import Runtime
from dailypapers.store.schema import paper_authors, papers


def _good(n: int) -> dict[str, object]:
    return {
        "arxiv_id": f"2401.0000{n}",
        "title": f"Good paper {n}",
        "abstract": "Fine.",
        "code_url": "https://github.com/example/repo",
    }


BAD = {
    "huge upvotes": ({"upvotes": 10**26}, "upvotes"),
    "timestamp before year 1 in UTC": (
        {"published_at": "0001-01-01T00:00:00+14:00"},
        "published_at",
    ),
    "javascript link": ({"code_url": "javascript:alert(1)"}, "only http(s) links"),
    "data link": ({"project_url": "data:text/html,<script>alert(1)</script>"}, "http(s)"),
    "far-future feature": ({"feature_date": "9999-12-31"}, "in the future"),
}


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("case", BAD)
def test_four_good_and_one_bad_imports_four(rt: Runtime, tmp_path: Path, case: str) -> None:
    change, reason = BAD[case]
    lines = [json.dumps(_good(n)) for n in range(1, 5)]
    lines.insert(2, json.dumps({**_good(9), **change}))
    report = import_file(rt.engine, _write_lines(tmp_path / "mixed.jsonl", lines), fmt="jsonl")
    assert report.inserted == 4
    assert [r.location for r in report.rejected] == ["mixed.jsonl:3"]
    assert reason in report.rejected[0].reason and len(report.rejected[0].reason) < 200


def _hf(n: int) -> dict[str, object]:
    return {"paper": {"id": f"2401.0000{n}", "title": f"HF paper {n}"}}


@pytest.mark.parametrize(("fmt", "good"), [("jsonl", _good), ("hf", _hf)])
def test_deeply_nested_json_is_one_rejected_line(
    rt: Runtime, tmp_path: Path, fmt: str, good: object
) -> None:
    lines = [json.dumps(good(n)) for n in range(1, 5)]  # type: ignore[operator]
    lines.insert(1, '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = import_file(rt.engine, _write_lines(tmp_path / "deep.jsonl", lines), fmt=fmt)
    assert report.inserted == 4
    assert [r.location for r in report.rejected] == ["deep.jsonl:2"]
    assert "nested too deeply" in report.rejected[0].reason


def test_control_characters_are_removed_at_import(rt: Runtime, tmp_path: Path) -> None:
    record = {**_good(1), "title": "Con\u0005trol\x00 title", "abstract": "A\x0bB\tC\nD"}
    record["authors"] = ["Ann\x01 Lee", "\x02", " Bob "]  # one item with, as few do
    report = import_file(
        rt.engine, _write_lines(tmp_path / "ctl.jsonl", [json.dumps(record)]), fmt="jsonl"
    )
    assert report.inserted == 1 and not report.rejected
    with rt.engine.connect() as conn:
        row = conn.execute(sa.select(papers.c.title, papers.c.abstract)).one()
        names = conn.execute(sa.select(paper_authors.c.name).order_by(paper_authors.c.position))
        assert list(names.scalars()) == ["Ann Lee", "Bob"]
    assert tuple(row) == ("Control title", "AB\tC\nD")


def test_a_record_the_database_refuses_is_rejected_alone(rt: Runtime) -> None:
    """Below the checks (which would clean it), a NUL byte PostgreSQL refuses, or on SQLite
    an integer too large for its column type, fails the batch: then each record is written
    on its own and only that one is rejected, with one line and no parameters."""
    bad_title = "Nul\x00 byte" if rt.engine.dialect.name == "postgresql" else "Too big"
    bad = PaperRecord(title=bad_title, abstract="x", arxiv_id="2401.00009", upvotes=2**70)
    batch = [Parsed(f"f:{n}", PaperRecord(title=f"T{n}", abstract="x")) for n in range(1, 5)]
    batch.insert(2, Parsed("f:bad", bad))
    report = loader._write(rt.engine, batch)
    assert report.inserted == 4
    assert [r.location for r in report.rejected] == ["f:bad"]
    reason = report.rejected[0].reason
    assert reason.startswith("the database refused it") and "\n" not in reason
    assert "T1" not in reason and "[parameters" not in reason
