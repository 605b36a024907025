"""Real Hugging Face daily-papers records (tests/data/hf_api) loaded into a test database."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from dailypapers.ingest.loader import import_file
from dailypapers.runtime import Runtime

SAMPLE = Path(__file__).parent / "data" / "hf_api" / "daily-papers.jsonl"


def records() -> list[dict[str, Any]]:
    """The raw records, as huggingface.co served them."""
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def by_feed_date() -> dict[str, list[dict[str, Any]]]:
    """The raw records grouped by feed day (YYYY-MM-DD)."""
    days: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records():
        days[record["feed_date"]].append(record)
    return days


def load(rt: Runtime) -> None:
    """Import every sample record into the runtime's database."""
    report = import_file(rt.engine, SAMPLE, fmt="hf")
    assert report.inserted == len(records()) and not report.rejected


def set_secret_key(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """`create_app` refuses a server database without a configured secret key."""
    monkeypatch.setattr(rt.settings, "secret_key", "test-only-secret-" + "0" * 32)
