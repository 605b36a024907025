"""Read the full-arXiv metadata dump (Kaggle `arxiv-metadata-oai-snapshot.json`, JSON lines).

Fields used: `id`, `title`, `abstract`, `authors_parsed` (`[last, first, suffix, affil...]`,
falling back to the `authors` string), `categories` (space-separated), `versions`
(`[{version: "v1", created: RFC 2822}]`) and `update_date`. The file is ~4 GB, so it
is read strictly line by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.ingest.normalize import clean_title, parse_timestamp, split_authors, text_or_none
from dailypapers.ingest.source import iter_json_lines
from dailypapers.models import PaperRecord, Parsed, Rejection, SourceItem


def read_arxiv_snapshot(stream: TextIO, name: str) -> Iterator[SourceItem]:
    """Yield one Parsed per dump line, or a Rejection naming the line and the problem."""
    for item in iter_json_lines(stream, name):
        if isinstance(item, Rejection):
            yield item
            continue
        location, value = item
        try:
            yield Parsed(location, parse_snapshot_record(value))
        except ValueError as exc:
            yield Rejection(location, str(exc))


def parse_snapshot_record(value: Any) -> PaperRecord:
    """Map one dump record to a PaperRecord; ValueError says why it cannot be."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    raw_id = text_or_none(value.get("id"))
    arxiv_id = parse_arxiv_id(raw_id) if raw_id else None
    if arxiv_id is None:
        raise ValueError(f"missing or invalid arXiv id: {raw_id!r}")
    title = text_or_none(value.get("title"))
    if title is None:
        raise ValueError("no title")
    versions = _versions(value.get("versions"))
    return PaperRecord(
        title=clean_title(title),
        abstract=text_or_none(value.get("abstract")) or "",
        authors=_authors(value),
        arxiv_id=arxiv_id.id,
        arxiv_version=versions[-1][0] if versions else arxiv_id.version,
        categories=(text_or_none(value.get("categories")) or "").split(),
        published_at=parse_timestamp(versions[0][1]) if versions else None,
        updated_at=_updated_at(versions, text_or_none(value.get("update_date"))),
    )


def _versions(value: object) -> list[tuple[int, str]]:
    """(number, created) pairs, oldest first, from `[{version: "v2", created: ...}]`."""
    if not isinstance(value, list):
        return []
    found = []
    for entry in value:
        if not isinstance(entry, dict):
            continue
        label = text_or_none(entry.get("version")) or ""
        created = text_or_none(entry.get("created"))
        if label[1:].isdigit() and created:
            found.append((int(label[1:]), created))
    return sorted(found)


def _updated_at(versions: list[tuple[int, str]], update_date: str | None) -> datetime | None:
    """The latest version's submission time; `update_date` only when versions are absent.

    `update_date` also moves for metadata-only edits, so it is the weaker signal.
    """
    latest = versions[-1][1] if versions else update_date
    return parse_timestamp(latest) if latest else None


def _authors(value: dict[str, Any]) -> list[str]:
    """Names as "First Last Suffix" from `authors_parsed`, else split from `authors`."""
    parsed = value.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = [_join_name(p) for p in parsed if isinstance(p, list)]
        return [n for n in names if n]
    return split_authors(text_or_none(value.get("authors")) or "")


def _join_name(parts: list[Any]) -> str:
    """`[last, first, suffix, affiliation...]` → "first last suffix" (affiliations dropped)."""
    count = len(parts)
    last = parts[0] if count > 0 else ""
    first = parts[1] if count > 1 else ""
    suffix = parts[2] if count > 2 else ""
    words = [w.strip() for w in (first, last, suffix) if isinstance(w, str)]
    return " ".join([w for w in words if w])
