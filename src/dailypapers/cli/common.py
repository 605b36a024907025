"""Helpers shared by CLI commands: building the runtime, progress bars, JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dailypapers.config import load_settings
from dailypapers.runtime import Runtime

console = Console()


@contextmanager
def runtime(*, ensure_schema: bool = True) -> Iterator[Runtime]:
    """A Runtime from the environment, with the schema created on an empty database."""
    rt = Runtime(load_settings())
    try:
        if ensure_schema:
            rt.ensure_schema()
        yield rt
    finally:
        rt.close()


def byte_progress() -> Progress:
    """A progress bar over bytes read (file imports)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def count_progress() -> Progress:
    """A progress display over records when the total is unknown (live fetches)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(value: object) -> None:
    """Machine-readable output on stdout (no Rich markup, no wrapping)."""
    print(json.dumps(value, default=_default, ensure_ascii=False, indent=2))
