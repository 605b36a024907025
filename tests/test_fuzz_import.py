"""Hypothesis over the importers (issue 11): records whose every field holds an arbitrary JSON
value (huge numbers, control characters, NUL, deep nesting, wrong types). Invariant: each
record is imported or rejected with a reason naming its line, the counts add up, and
nothing else in the store changes. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dailypapers.ingest.loader import import_file
from dailypapers.ingest.tabular import COLUMNS
from dailypapers.models import PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.store.database import transaction
from dailypapers.store.papers import upsert_papers
from dailypapers.store.schema import papers

EXAMPLES = 15
SENTINEL = PaperRecord(
    title="Sentinel paper kept as is", abstract="Untouched.", arxiv_id="0704.0001"
)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["", " ", "\x00", "\x05abc", "javascript:alert(1)", "2401.00001",
                       "0001-01-01T00:00:00+14:00", "9999-12-31", "https://github.com/a/b"])
)  # fmt: skip
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
tabular_records = st.dictionaries(st.sampled_from(COLUMNS), json_values, max_size=len(COLUMNS))
_HF_PAPER_KEYS = ["id", "title", "summary", "authors", "publishedAt", "githubRepo",
                  "projectPage", "upvotes", "githubStars", "ai_summary", "ai_keywords",
                  "submittedOnDailyAt"]  # fmt: skip
_HF_ITEM_KEYS = ["title", "publishedAt", "numComments", "submittedBy", "thumbnail", "feed_date"]
hf_records = st.builds(
    lambda paper, item: {**item, "paper": paper},
    st.dictionaries(st.sampled_from(_HF_PAPER_KEYS), json_values, max_size=len(_HF_PAPER_KEYS)),
    st.dictionaries(st.sampled_from(_HF_ITEM_KEYS), json_values, max_size=len(_HF_ITEM_KEYS)),
)


def _rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(papers).order_by(papers.c.id))]


def _check_import(rt: Runtime, path: Path, fmt: str, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    before = _rows(rt.engine)
    report = import_file(rt.engine, path, fmt=fmt, batch_size=3)
    after = _rows(rt.engine)
    kept = report.inserted + report.updated + report.unchanged
    assert kept + len(report.rejected) == len(records), "each record imported or rejected"
    lines = {f"{path.name}:{n}" for n in range(1, len(records) + 1)}
    assert all(r.location in lines and r.reason.strip() for r in report.rejected)
    assert len(after) - len(before) <= report.inserted
    assert after[0] == before[0], "the sentinel paper is untouched"


def _fuzz(rt: Runtime, tmp_path: Path, fmt: str, strategy: st.SearchStrategy[Any]) -> None:
    with transaction(rt.engine) as conn:
        upsert_papers(conn, [SENTINEL])

    @given(records=st.lists(strategy, min_size=1, max_size=5))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(records: list[dict[str, Any]]) -> None:
        _check_import(rt, tmp_path / f"fuzz.{fmt}", fmt, records)

    run()


def test_arbitrary_values_in_our_columns(rt: Runtime, tmp_path: Path) -> None:
    _fuzz(rt, tmp_path, "jsonl", tabular_records)


def test_arbitrary_values_in_hugging_face_items(rt: Runtime, tmp_path: Path) -> None:
    _fuzz(rt, tmp_path, "hf", hf_records)
