"""Fetch papers from the arXiv query API (Atom 1.0, `export.arxiv.org/api/query`).

Used for daily category harvests (`fetch arxiv`) and for looking up submitted ids.
Atom is parsed with the standard library, so no feed-parsing dependency is needed.
Quirks handled: a malformed id yields HTTP 200 with one entry titled `Error`; a real
title can be `0`, so absence is tested with `is None`, never truthiness; an empty page
can arrive before `totalResults` is reached and ends the harvest.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Unpack

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.errors import InputError, SourceError
from dailypapers.ingest.normalize import clean_title, parse_timestamp
from dailypapers.ingest.polite_http import PoliteClient, PoliteOptions
from dailypapers.models import PaperRecord, Parsed, Rejection, SourceItem

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
ERROR_ID_PREFIX = "https://arxiv.org/api/errors"


class ArxivApiClient(PoliteClient):
    """A polite client for arXiv's query API; close() it, or use it as a context manager."""

    default_url = "https://export.arxiv.org/api/query"

    def __init__(
        self, base_url: str | None = None, *, page_size: int = 100, **options: Unpack[PoliteOptions]
    ) -> None:
        super().__init__(base_url, **options)
        self.page_size = page_size

    def search(self, category: str, since: date, until: date | None = None) -> Iterator[SourceItem]:
        """Papers in `category` submitted from `since` to `until` (default today), oldest first."""
        last = until or datetime.now(UTC).date()
        params = {
            "search_query": f"cat:{category} AND "
            f"submittedDate:[{since:%Y%m%d}0000 TO {last:%Y%m%d}2359]",
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
        }
        start = 0
        while True:
            feed = self._page(params, start)
            entries = feed.findall("atom:entry", NS)
            for offset, entry in enumerate(entries):
                yield _entry_item(entry, f"{self.base_url} result {start + offset}")
            start += len(entries)
            if not entries or start >= _total_results(feed):
                return

    def fetch_ids(self, ids: list[str]) -> list[PaperRecord]:
        """Records for the ids (versioned or not), in arXiv's order; unknown ids are absent.

        A string that is not an arXiv id is an InputError, raised before any request.
        """
        parsed = [(raw, parse_arxiv_id(raw)) for raw in ids]
        bad = [raw for raw, p in parsed if p is None]
        if bad:
            raise InputError(f"not an arXiv id: {bad[0]!r}")
        wanted = [str(p) for _, p in parsed if p is not None]
        records: list[PaperRecord] = []
        for offset in range(0, len(wanted), self.page_size):
            chunk = wanted[offset : offset + self.page_size]
            feed = self._page({"id_list": ",".join(chunk)}, 0, max_results=len(chunk))
            records.extend(_records(feed))
        return records

    def find_title(self, title: str, *, max_results: int = 5) -> list[PaperRecord]:
        """Papers whose title contains `title` as a phrase (arXiv's `ti:"..."`), best first;
        the caller decides which, if any, is the same paper."""
        phrase = " ".join(title.replace('"', " ").split())
        feed = self._page({"search_query": f'ti:"{phrase}"'}, 0, max_results=max_results)
        return _records(feed)

    def _page(
        self, params: dict[str, str], start: int, *, max_results: int | None = None
    ) -> ET.Element:
        """One page of results as the parsed Atom feed element."""
        query: dict[str, str | int] = {
            **params,
            "start": start,
            "max_results": max_results or self.page_size,
        }
        response = self._http.get(self.base_url, query)
        return parse_feed(response.content, self.base_url)


def parse_feed(content: bytes, where: str) -> ET.Element:
    """Parse an Atom response; malformed XML is a SourceError, an `Error` entry too."""
    try:
        feed = ET.fromstring(content)
    except ET.ParseError as exc:
        raise SourceError(f"{where}: malformed XML from arXiv ({exc})") from None
    for entry in feed.findall("atom:entry", NS):
        if _text(entry, "atom:id", "").startswith(ERROR_ID_PREFIX):
            raise SourceError(f"arXiv API error: {_text(entry, 'atom:summary', 'unknown error')}")
    return feed


def _records(feed: ET.Element) -> list[PaperRecord]:
    """Every readable entry of a feed as a record (unreadable ones are skipped)."""
    items = (_entry_item(e, "arxiv") for e in feed.findall("atom:entry", NS))
    return [item.record for item in items if isinstance(item, Parsed)]


def _total_results(feed: ET.Element) -> int:
    """`opensearch:totalResults`, or 0 when missing (then the page decides)."""
    text = _text(feed, "opensearch:totalResults", "0")
    return int(text) if text.isdigit() else 0


def _entry_item(entry: ET.Element, where: str) -> SourceItem:
    """One Atom entry as Parsed, or a Rejection naming what was unreadable."""
    raw_id = _text(entry, "atom:id", "")
    arxiv_id = parse_arxiv_id(raw_id)
    location = raw_id or where
    title = entry.findtext("atom:title", None, NS)
    if arxiv_id is None or title is None:
        return Rejection(location, "entry without an arXiv id or title")
    try:
        return Parsed(location, _entry_record(entry, arxiv_id.id, arxiv_id.version, title))
    except ValueError as exc:
        return Rejection(location, str(exc))


def _entry_record(entry: ET.Element, arxiv_id: str, version: int | None, title: str) -> PaperRecord:
    """Map an entry's fields; `published` is v1's date and `updated` the shown version's."""
    names = (_text(a, "atom:name", "") for a in entry.findall("atom:author", NS))
    return PaperRecord(
        title=clean_title(title),
        abstract=_text(entry, "atom:summary", ""),
        authors=[n for n in names if n],
        arxiv_id=arxiv_id,
        arxiv_version=version,
        categories=_categories(entry),
        published_at=_timestamp(entry, "atom:published"),
        updated_at=_timestamp(entry, "atom:updated"),
    )


def _categories(entry: ET.Element) -> list[str]:
    """Category terms, primary category first."""
    primary = entry.find("arxiv:primary_category", NS)
    first = primary.get("term", "") if primary is not None else ""
    terms = [c.get("term", "") for c in entry.findall("atom:category", NS)]
    ordered = [first, *(t for t in terms if t != first)]
    return [t for t in ordered if t]


def _text(element: ET.Element, path: str, default: str) -> str:
    """Stripped text of a child element, or the default when absent."""
    found = element.findtext(path, None, NS)
    return found.strip() if found is not None else default


def _timestamp(entry: ET.Element, path: str) -> datetime | None:
    """An optional timestamp child."""
    text = _text(entry, path, "")
    return parse_timestamp(text) if text else None
