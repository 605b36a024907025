"""Sniff an import file's format from its first bytes, so `import FILE` needs no --format.

Rules, in order (gzip is transparent; see docs/import-formats.md):

1. Starts with `[` or `{`: JSON. The first record (first line, first array element, or
   the first item of a `{"data": [...]}` wrapper) decides: a `paper` object → `hf`;
   `versions` or `authors_parsed` → `arxiv-dump`; otherwise keys among our documented
   columns → `jsonl`.
2. First line parses as a CSV header, at least two and half of its columns documented
   ones → `csv` (its reader then names any unknown column).
3. Listing-page chrome (`Daily Papers`, `byAK and the research community`, ...) in the
   first lines, or a short line / blank line / long paragraph opening → `listing`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from dailypapers.errors import InputError
from dailypapers.ingest.arxiv_snapshot import read_arxiv_snapshot
from dailypapers.ingest.hf_daily import read_hf_daily
from dailypapers.ingest.listing_text import HEADER_LINES, MAX_TITLE_CHARS, read_listing_text
from dailypapers.ingest.source import open_text
from dailypapers.ingest.tabular import COLUMNS, read_csv, read_jsonl
from dailypapers.models import SourceItem

Reader = Callable[[TextIO, str], Iterator[SourceItem]]

READERS: dict[str, Reader] = {
    "hf": read_hf_daily,
    "arxiv-dump": read_arxiv_snapshot,
    "listing": read_listing_text,
    "jsonl": read_jsonl,
    "csv": read_csv,
}
"""Format name → reader; the names are what `--format` accepts."""

SNIFF_CHARS = 1024 * 1024
"""How much text detection may read: enough for one large record."""


def detect_format(path: Path) -> str:
    """The READERS key for the file, or InputError saying it is unrecognised."""
    with open_text(path) as stream:
        head = stream.read(SNIFF_CHARS)
    fmt = _sniff(head.lstrip())
    if fmt is None:
        raise InputError(
            f"{path.name}: unrecognised format; use --format with one of {', '.join(READERS)}"
        )
    return fmt


def _sniff(head: str) -> str | None:
    """Decide from the start of the text; None when nothing fits."""
    if head.startswith(("[", "{")):
        record = _first_json_record(head)
        return _json_format(record) if record is not None else None
    lines = head.splitlines()
    if lines and _is_csv_header(lines[0]):
        return "csv"
    return "listing" if _looks_like_listing(lines) else None


def _first_json_record(head: str) -> Any:
    """The first record of JSON lines, a JSON array or a `{"data": [...]}` wrapper."""
    decoder = json.JSONDecoder()
    text = head[1:].lstrip() if head.startswith("[") else head
    try:
        value, _ = decoder.raw_decode(text)
    except json.JSONDecodeError:
        return None
    if isinstance(value, dict) and isinstance(value.get("data"), list) and value["data"]:
        return value["data"][0]
    return value


def _json_format(record: Any) -> str | None:
    """Which JSON reader fits a record's keys."""
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("paper"), dict):
        return "hf"
    if "versions" in record or "authors_parsed" in record:
        return "arxiv-dump"
    if "title" in record and set(record) <= set(COLUMNS):
        return "jsonl"
    return None


def _is_csv_header(line: str) -> bool:
    """A comma-separated header of which at least two columns, and half, are documented
    ones: then a misspelt column is the CSV reader's to name, not "unrecognised format"."""
    try:
        fields = [f.strip() for f in next(csv.reader([line]))]
    except (csv.Error, StopIteration):
        return False
    known = [f for f in fields if f in COLUMNS]
    return len(fields) > 1 and len(known) >= max(2, len(fields) / 2)


def _looks_like_listing(lines: list[str]) -> bool:
    """Listing chrome near the top, or a title line, a blank line and a long paragraph."""
    top = [line.strip() for line in lines[:20]]
    if any(line.casefold() in HEADER_LINES for line in top if line):
        return True
    return (
        len(top) >= 3
        and 0 < len(top[0]) <= MAX_TITLE_CHARS
        and not top[1]
        and len(top[2]) > len(top[0])
    )
