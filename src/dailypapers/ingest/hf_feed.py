"""Mirror a Hugging Face-compatible daily feed over HTTP (`GET /api/daily_papers?date=D`).

The endpoint may be huggingface.co or another dailypapers instance (our API speaks the same
protocol). Each item goes through `hf_daily.parse_hf_item`, the parser of the HF file
importer, with `feed_date` set to the day asked for (what an archiver adds to the files), so
a mirrored day and an imported archive of it land identically. Days are fetched in order and
each page is written before the next is asked for: a run that stops (bad answer, timeout,
Ctrl-C) keeps every page already written, and running it again converges (upserts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Unpack
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from dailypapers.errors import SourceError
from dailypapers.ingest.hf_daily import HF_ORIGIN, parse_hf_item
from dailypapers.ingest.loader import load
from dailypapers.ingest.polite_http import PoliteClient, PoliteOptions
from dailypapers.models import ImportReport, Parsed, Rejection, SourceItem

PAGE_SIZE = 100
"""HF's largest `limit`; a day rarely has more, so most days are one request."""
MAX_PAGES_PER_DAY = 50
"""A server that ignores `p` would otherwise be paged forever."""


class HfFeedClient(PoliteClient):
    """Reads daily-feed pages politely (delay, retries on 429/5xx, Retry-After)."""

    default_url = HF_ORIGIN
    default_timeout = 30.0

    def __init__(
        self,
        base_url: str | None = None,
        *,
        page_size: int = PAGE_SIZE,
        **options: Unpack[PoliteOptions],
    ) -> None:
        super().__init__(base_url, **options)
        self.page_size = page_size

    @property
    def endpoint(self) -> str:
        """`{base}/api/daily_papers`, however the base URL was written."""
        return self.base_url.rstrip("/") + "/api/daily_papers"

    def page(self, day: date, page: int) -> list[Any]:
        """The raw items of one page of one day; SourceError when the answer is not a feed."""
        params: dict[str, str | int] = {"date": day.isoformat(), "limit": self.page_size, "p": page}
        where = self._where(day, page)
        try:
            response = self._http.get(self.endpoint, params)
        except SourceError as exc:  # name the day and page, not just the host
            raise SourceError(f"{where}: {str(exc).removeprefix(self._host + ' ')}") from None
        return _items(response, where)

    def day(self, day: date) -> Iterator[list[SourceItem]]:
        """The parsed items of one day, a page at a time, until a short or repeated page."""
        seen: set[str] = set()
        for number in range(MAX_PAGES_PER_DAY):
            raw = self.page(day, number)
            where = self._where(day, number)
            ids = {_paper_id(item) for item in raw} - {None}
            if raw and ids and ids <= seen:
                return  # the server ignores `p` and repeats the first page
            seen |= {i for i in ids if i}
            yield [_parse(item, day, f"{where}[{i}]") for i, item in enumerate(raw)]
            if len(raw) < self.page_size:
                return
        raise SourceError(
            f"{self._where(day, MAX_PAGES_PER_DAY)}: more than {MAX_PAGES_PER_DAY} pages"
        )

    @property
    def _host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    def _where(self, day: date, page: int) -> str:
        return f"{self._host} {day.isoformat()} p={page}"


def _items(response: httpx.Response, where: str) -> list[Any]:
    """The JSON list of a daily-feed answer, or one line saying what came instead."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
    try:
        value = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        message = f"{where}: expected JSON, got {kind} (is this a daily-papers API?)"
        raise SourceError(message) from None
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]  # the `{"status", "date", "data": [...]}` wrapper of some days
    if not isinstance(value, list):
        raise SourceError(
            f"{where}: expected a JSON list of daily-papers items, got a {_json_kind(value)}"
        )
    return value


def _json_kind(value: object) -> str:
    names = {dict: "object", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(type(value), "null")


def _paper_id(item: Any) -> str | None:
    paper = item.get("paper") if isinstance(item, dict) else None
    value = paper.get("id") if isinstance(paper, dict) else None
    return value if isinstance(value, str) else None


def _parse(item: Any, day: date, location: str) -> SourceItem:
    """Parse like the file importer, with the day asked for as the feed date."""
    if isinstance(item, dict) and "feed_date" not in item:
        item = {**item, "feed_date": day.isoformat()}
    try:
        return Parsed(location, parse_hf_item(item))
    except ValueError as exc:
        return Rejection(location, str(exc))


@dataclass(slots=True)
class FeedImport:
    """What a mirror run did: the import counts, the last day completed, and why it stopped."""

    report: ImportReport = field(default_factory=ImportReport)
    days: int = 0
    last_day: date | None = None
    error: str | None = None


def days_between(start: date, end: date) -> Iterator[date]:
    """Every day from `start` to `end`, inclusive."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


def mirror(
    engine: sa.Engine,
    client: HfFeedClient,
    start: date,
    end: date,
    *,
    batch_size: int = 500,
    on_page: Callable[[date, int], None] | None = None,
) -> FeedImport:
    """Import every day from `start` to `end`; a SourceError ends the run with what was done.

    `last_day` is the last day imported whole, which is where a later run may resume.
    """
    result = FeedImport()
    for day in days_between(start, end):
        try:
            for items in client.day(day):
                result.report.merge(load(engine, items, batch_size=batch_size))
                if on_page is not None:
                    on_page(day, len(items))
        except SourceError as exc:
            result.error = str(exc)
            return result
        result.days += 1
        result.last_day = day
    return result
