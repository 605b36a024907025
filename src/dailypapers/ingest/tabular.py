"""Read papers from our own documented CSV or JSON-lines columns (hand-made or exported lists).

Columns (CSV header names / JSON keys; only `title` and `abstract` are required):

- `arxiv_id`      arXiv id in any usual spelling (`2401.01234v2`, `arXiv:…`, abs URL)
- `title`         paper title
- `abstract`      abstract, kept as written (LaTeX included)
- `authors`       names separated by `;` (in JSON also a list of strings)
- `categories`    arXiv categories separated by spaces (in JSON also a list)
- `published_at`  ISO 8601 date or timestamp (naive = UTC)
- `updated_at`    ISO 8601 date or timestamp
- `code_url`      code repository URL
- `project_url`   project page URL
- `feature_date`  date (YYYY-MM-DD) the paper was featured on the daily feed
- `submitted_by`  user name of whoever featured it (needs `feature_date`)
- `upvotes`       non-negative integer

CSV needs a header row; an unknown column stops the import before any row is read,
since it usually means a typo that would silently drop data. In JSON lines an unknown
key rejects that line. Empty cells count as absent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.errors import InputError
from dailypapers.ingest.normalize import (
    clean_title,
    int_or_none,
    parse_date,
    parse_timestamp,
    text_or_none,
)
from dailypapers.ingest.source import iter_json_lines, iter_lines
from dailypapers.models import FeatureRecord, PaperRecord, Parsed, Rejection, SourceItem

COLUMNS = (
    "arxiv_id",
    "title",
    "abstract",
    "authors",
    "categories",
    "published_at",
    "updated_at",
    "code_url",
    "project_url",
    "feature_date",
    "submitted_by",
    "upvotes",
)


def read_jsonl(stream: TextIO, name: str) -> Iterator[SourceItem]:
    """Yield one Parsed per JSON line with the documented keys, or a Rejection."""
    for item in iter_json_lines(stream, name):
        if isinstance(item, Rejection):
            yield item
            continue
        location, value = item
        try:
            yield Parsed(location, _record(_checked_object(value)))
        except ValueError as exc:
            yield Rejection(location, str(exc))


def _checked_object(value: Any) -> dict[str, Any]:
    """A JSON object with only documented keys."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    unknown = sorted(set(value) - set(COLUMNS))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} (known: {', '.join(COLUMNS)})")
    return value


def read_csv(stream: TextIO, name: str) -> Iterator[SourceItem]:
    """Yield one Parsed per CSV row, or a Rejection naming its line."""
    rejected: list[Rejection] = []
    reader = csv.reader(_lines_for_csv(stream, name, rejected), strict=True)
    header = _header(reader, name)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Rejection(f"{name}:{reader.line_num}", f"malformed CSV ({exc})")
            continue
        yield from rejected
        rejected.clear()
        if row:
            yield _row_item(header, row, f"{name}:{reader.line_num}")
    yield from rejected


def _lines_for_csv(stream: TextIO, name: str, rejected: list[Rejection]) -> Iterator[str]:
    """Physical lines for csv.reader; an overlong line becomes a blank one and a Rejection."""
    for item in iter_lines(stream, name):
        if isinstance(item, Rejection):
            rejected.append(item)
            yield "\n"
        else:
            yield item[1]


def _header(reader: Iterator[list[str]], name: str) -> list[str]:
    """The header row, checked against the documented columns."""
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{name}: empty file") from None
    except csv.Error as exc:
        raise InputError(f"{name}:1: malformed CSV header ({exc})") from None
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InputError(
            f"{name}:1: unknown column {unknown[0]!r}; known columns: {', '.join(COLUMNS)}"
        )
    if "title" not in header or "abstract" not in header:
        raise InputError(f"{name}:1: the header needs 'title' and 'abstract' columns")
    return header


def _row_item(header: list[str], row: list[str], location: str) -> SourceItem:
    """One CSV row as Parsed, or a Rejection when it cannot be a paper."""
    if len(row) != len(header):
        return Rejection(location, f"{len(row)} fields, header has {len(header)}")
    try:
        return Parsed(location, _record(dict(zip(header, row, strict=True))))
    except ValueError as exc:
        return Rejection(location, str(exc))


def _record(fields: dict[str, Any]) -> PaperRecord:
    """Build a record from documented fields; ValueError names the bad field."""
    title = text_or_none(fields.get("title"))
    abstract = text_or_none(fields.get("abstract"))
    if title is None or abstract is None:
        raise ValueError("'title' and 'abstract' are required")
    return PaperRecord(
        title=clean_title(title),
        abstract=abstract,
        authors=_list(fields.get("authors"), ";"),
        arxiv_id=_arxiv_id(fields.get("arxiv_id")),
        categories=_list(fields.get("categories"), None),
        published_at=_timestamp(fields, "published_at"),
        updated_at=_timestamp(fields, "updated_at"),
        code_url=text_or_none(fields.get("code_url")),
        project_url=text_or_none(fields.get("project_url")),
        upvotes=_upvotes(fields.get("upvotes")),
        feature=_feature(fields),
    )


def _list(value: object, separator: str | None) -> list[str]:
    """A list given as a JSON list or as one separated string."""
    items = value if isinstance(value, list) else (text_or_none(value) or "").split(separator)
    return [s for s in (text_or_none(i) for i in items) if s]


def _arxiv_id(value: object) -> str | None:
    """An optional arXiv id; given but unreadable rejects the row."""
    text = text_or_none(value)
    if text is None:
        return None
    parsed = parse_arxiv_id(text)
    if parsed is None:
        raise ValueError(f"arxiv_id {text!r} is not an arXiv id")
    return parsed.id


def _timestamp(fields: dict[str, Any], key: str) -> datetime | None:
    """An optional timestamp column."""
    text = text_or_none(fields.get(key))
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        raise ValueError(f"{key}: not a date or timestamp: {text!r}") from None


def _upvotes(value: object) -> int:
    """Absent means 0; present must be a non-negative integer."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    count = int_or_none(value)
    if count is None or count < 0:
        raise ValueError(f"upvotes: not a non-negative integer: {value!r}")
    return count


def _feature(fields: dict[str, Any]) -> FeatureRecord | None:
    """A featured-on-date entry when `feature_date` is given."""
    text = text_or_none(fields.get("feature_date"))
    submitted_by = text_or_none(fields.get("submitted_by"))
    if text is None:
        if submitted_by:
            raise ValueError("submitted_by needs feature_date")
        return None
    try:
        feature_date = parse_date(text)
    except ValueError:
        raise ValueError(f"feature_date: not a date: {text!r}") from None
    return FeatureRecord(feature_date=feature_date, submitted_by=submitted_by)
