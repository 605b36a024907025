"""Read Hugging Face daily-papers items (`/api/daily_papers`), as JSON lines or a raw response.

Each item is `{"paper": {...}, "publishedAt", "title", "numComments", "submittedBy", ...}`,
optionally with `feed_date` added by an archiver. The shape drifted over time (2024 items
lack `submittedOnDailyAt` and use `mediaUrl`; some archived days were Python reprs), so
every field but `paper.id` and a title is optional here. Top-level `publishedAt` is when
the paper was posted to the daily feed; `paper.publishedAt` is the arXiv date.

Besides the normalised fields, the record keeps HF's `paper` object and the rest of the item
verbatim (`hf_paper`, `hf_item`), unknown fields included, so the JSON API can give back
exactly what HF sent; only the fields an archiver added (ARCHIVE_FIELDS) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, TextIO

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.ingest.normalize import (
    clean_title,
    int_or_none,
    parse_date,
    parse_timestamp,
    text_or_none,
)
from dailypapers.ingest.source import iter_json_records
from dailypapers.models import FeatureRecord, PaperRecord, Parsed, Rejection, SourceItem

HF_ORIGIN = "https://huggingface.co"
ARCHIVE_FIELDS = frozenset(
    {"feed_date", "source_repo", "source_path", "source_commit", "source_note"}
)
"""Fields an archive adds to HF's items (tests/data/hf_api/README.md); not HF's."""
LOCAL_FIELD = "dailypapers"
"""Where a dailypapers instance answers its own values (web.api_schemas): not HF's, so a
mirror of another instance (`fetch hf`) does not keep them as if HF had sent them."""


def read_hf_daily(stream: TextIO, name: str) -> Iterator[SourceItem]:
    """Yield one Parsed per daily-papers item, or a Rejection saying what is missing."""
    for item in iter_json_records(stream, name):
        if isinstance(item, Rejection):
            yield item
            continue
        location, value = item
        try:
            yield Parsed(location, parse_hf_item(value))
        except ValueError as exc:
            yield Rejection(location, str(exc))


def parse_hf_item(item: Any) -> PaperRecord:
    """Map one daily-papers item to a PaperRecord; ValueError says why it cannot be."""
    if not isinstance(item, dict):
        raise ValueError(f"expected a JSON object, got {type(item).__name__}")
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise ValueError("no 'paper' object")
    title = text_or_none(paper.get("title")) or text_or_none(item.get("title"))
    if title is None:
        raise ValueError("no title (paper.title or title)")
    return PaperRecord(
        title=clean_title(title),
        abstract=(text_or_none(paper.get("summary")) or ""),
        authors=_authors(paper.get("authors")),
        arxiv_id=_arxiv_id(paper.get("id")),
        published_at=_timestamp(paper.get("publishedAt")),
        code_url=text_or_none(paper.get("githubRepo")),
        project_url=text_or_none(paper.get("projectPage")),
        github_stars=int_or_none(paper.get("githubStars")),
        ai_summary=text_or_none(paper.get("ai_summary")),
        ai_keywords=_keywords(paper.get("ai_keywords")),
        thumbnail_url=text_or_none(item.get("thumbnail")) or text_or_none(item.get("mediaUrl")),
        upvotes=int_or_none(paper.get("upvotes")) or 0,
        feature=_feature(item, paper),
        hf_paper={k: v for k, v in paper.items() if k != LOCAL_FIELD},
    )


def _arxiv_id(value: object) -> str:
    """HF paper ids are arXiv ids; anything else cannot be keyed, so it is rejected."""
    text = text_or_none(value)
    if text is None:
        raise ValueError("no paper.id")
    parsed = parse_arxiv_id(text)
    if parsed is None:
        raise ValueError(f"paper.id {text!r} is not an arXiv id")
    return parsed.id


def _authors(value: object) -> list[str]:
    """Author names in order; hidden authors are kept, since they are still authors."""
    if not isinstance(value, list):
        return []
    names = (text_or_none(a.get("name")) for a in value if isinstance(a, dict))
    return [n for n in names if n]


def _keywords(value: object) -> list[str]:
    """AI keywords, dropping non-strings."""
    if not isinstance(value, list):
        return []
    return [k for k in (text_or_none(v) for v in value) if k]


def _timestamp(value: object) -> datetime | None:
    """An optional timestamp field; a present but unreadable one rejects the item."""
    text = text_or_none(value)
    return parse_timestamp(text) if text else None


def _feature(item: dict[str, Any], paper: dict[str, Any]) -> FeatureRecord | None:
    """Who put the paper on which daily feed, and when."""
    submitted_at = _timestamp(paper.get("submittedOnDailyAt")) or _timestamp(
        item.get("publishedAt")
    )
    feature_date = _feature_date(item, submitted_at)
    if feature_date is None:
        return None
    submitter = _submitter(item, paper)
    return FeatureRecord(
        feature_date=feature_date,
        submitted_by=text_or_none(submitter.get("name")) or text_or_none(submitter.get("user")),
        submitter_fullname=text_or_none(submitter.get("fullname")),
        submitter_avatar=_absolute(text_or_none(submitter.get("avatarUrl"))),
        submitted_at=submitted_at,
        num_comments=int_or_none(item.get("numComments")) or 0,
        hf_item=hf_item_fields(item),
    )


def hf_item_fields(item: dict[str, Any]) -> dict[str, Any]:
    """HF's item-level fields: everything but `paper`, what an archiver added and what
    another dailypapers instance added."""
    skip = ARCHIVE_FIELDS | {"paper", LOCAL_FIELD}
    return {k: v for k, v in item.items() if k not in skip}


def _feature_date(item: dict[str, Any], submitted_at: datetime | None) -> date | None:
    """`feed_date` (archive file date) wins; else the date the paper was put on the feed."""
    text = text_or_none(item.get("feed_date"))
    if text:
        return parse_date(text)
    return submitted_at.date() if submitted_at else None


def _submitter(item: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any]:
    """`submittedBy` (all eras) or, failing that, `paper.submittedOnDailyBy` (2025 on)."""
    for candidate in (item.get("submittedBy"), paper.get("submittedOnDailyBy")):
        if isinstance(candidate, dict):
            return candidate
    return {}


def _absolute(url: str | None) -> str | None:
    """Older items give avatars as site-relative paths (`/avatars/...`)."""
    if url and url.startswith("/"):
        return HF_ORIGIN + url
    return url
