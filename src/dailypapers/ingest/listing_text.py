"""Read the plain text of a saved papers-listing page (what "Select all, Copy" gives).

Structure, as found in real saved pages: a header of page chrome, one paragraph per line
(`new`, `Get trending papers in your email inbox!`, `Subscribe`, optionally `Daily
Papers`, `byAK and the research community`) and a date line such as `Aug 1`; then, for
each paper, a one-line title paragraph followed by a one-paragraph abstract, paragraphs
separated by blank lines. The same paper can appear on several pages.

There are no arXiv ids, so records carry none and are deduplicated by title key. The
date line has no year, so it gives a feature date only when written with one
(`Aug 1, 2024`); otherwise records carry no feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import TextIO

from dailypapers.ingest.normalize import clean_title
from dailypapers.ingest.source import iter_lines
from dailypapers.models import FeatureRecord, PaperRecord, Parsed, Rejection, SourceItem

HEADER_LINES = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "subscribe",
        "daily papers",
        "byak and the research community",
    }
)
DATE_LINE = re.compile(r"^(?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
MAX_TITLE_CHARS = 400
"""A longer "title" is really an abstract whose title is missing."""

_Paragraph = tuple[int, str]


def read_listing_text(stream: TextIO, name: str) -> Iterator[SourceItem]:
    """Yield one Parsed per (title, abstract) pair, Rejections for unpaired paragraphs."""
    paragraphs = _paragraphs(stream, name)
    feature_date: date | None = None
    pending_title: _Paragraph | None = None
    in_header = True
    for para in paragraphs:
        if isinstance(para, Rejection):
            yield para
            continue
        if in_header and _is_header(para[1]):
            feature_date = _header_date(para[1]) or feature_date
            continue
        in_header = False
        if pending_title is None:
            pending_title, rejection = _as_title(para, name)
            if rejection:
                yield rejection
            continue
        yield _entry(pending_title, para[1], name, feature_date)
        pending_title = None
    if pending_title is not None:
        yield Rejection(f"{name}:{pending_title[0]}", "title without an abstract at end of file")


def _paragraphs(stream: TextIO, name: str) -> Iterator[_Paragraph | Rejection]:
    """Blank-line separated paragraphs with the line number each starts on."""
    lines: list[str] = []
    start = 0
    for item in iter_lines(stream, name):
        if isinstance(item, Rejection):
            yield item
            continue
        lineno, line = item
        text = line.rstrip("\r\n")
        if text.strip():
            start = start if lines else lineno
            lines.append(text)
        elif lines:
            yield start, "\n".join(lines)
            lines = []
    if lines:
        yield start, "\n".join(lines)


def _is_header(text: str) -> bool:
    """Page chrome or the date line that precede the first paper."""
    return text.strip().casefold() in HEADER_LINES or bool(DATE_LINE.match(text.strip()))


def _header_date(text: str) -> date | None:
    """The listing date, only if the page states its year."""
    m = DATE_LINE.match(text.strip())
    if not m or not m.group("year"):
        return None
    month = _MONTHS.get(m["month"])
    try:
        return date(int(m["year"]), month, int(m["day"])) if month else None
    except ValueError:
        return None


def _as_title(para: _Paragraph, name: str) -> tuple[_Paragraph | None, Rejection | None]:
    """Accept a paragraph as a title, or reject it as an abstract with no title."""
    lineno, text = para
    if "\n" in text or len(text) > MAX_TITLE_CHARS:
        return None, Rejection(f"{name}:{lineno}", "paragraph without a title line before it")
    return para, None


def _entry(title: _Paragraph, abstract: str, name: str, feature_date: date | None) -> Parsed:
    """One listing entry; the abstract paragraph is kept as written."""
    record = PaperRecord(
        title=clean_title(title[1]),
        abstract=abstract.strip(),
        feature=FeatureRecord(feature_date=feature_date) if feature_date else None,
    )
    return Parsed(f"{name}:{title[0]}", record)
