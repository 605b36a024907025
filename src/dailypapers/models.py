"""Plain dataclasses that cross layers (importers → store → services → web/CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

HfJson = dict[str, Any]
"""A JSON object exactly as Hugging Face sent it (kept whole, unknown fields included)."""


@dataclass(slots=True)
class FeatureRecord:
    """A paper featured on a daily feed date, as an importer saw it."""

    feature_date: date
    submitted_by: str | None = None
    submitter_fullname: str | None = None
    submitter_avatar: str | None = None
    submitted_at: datetime | None = None
    num_comments: int = 0
    hf_item: HfJson | None = None  # HF's daily item without `paper`, when it came from HF


@dataclass(slots=True)
class PaperRecord:
    """One paper as normalised by an importer; the unit the store upserts.

    `arxiv_id` is canonical (no version); `arxiv_version` keeps the version seen.
    Datetimes are timezone-aware UTC. `upvotes` is the count the source reported
    (e.g. Hugging Face), kept apart from votes cast on this instance. `hf_paper` is HF's
    `paper` object verbatim when the record came from HF, so the API can give it back whole.
    """

    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    code_url: str | None = None
    project_url: str | None = None
    github_stars: int | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    thumbnail_url: str | None = None
    upvotes: int = 0
    feature: FeatureRecord | None = None
    hf_paper: HfJson | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """A record a source read successfully, with where it came from (`file:line`), and its
    `store.papers.content_hash` when already computed (the bulk path's reading process does,
    so that the writing process need not)."""

    location: str
    record: PaperRecord
    content_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record a source could not read, with where and why."""

    location: str
    reason: str


SourceItem = Parsed | Rejection


@dataclass(slots=True)
class ImportReport:
    """What an import did; printed as the closing summary."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records seen, good and bad."""
        return self.inserted + self.updated + self.unchanged + len(self.rejected)

    def merge(self, other: ImportReport) -> None:
        """Add another report's counts to this one."""
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)


@dataclass(slots=True)
class Paper:
    """A stored paper as the services and pages see it; `upvotes` counts imported + local,
    `local_upvotes` the votes cast here. HF's own paper object stays in the store: only the
    JSON API gives it back (`ApiEntry.hf_paper_json`)."""

    id: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    arxiv_id: str | None
    published_at: datetime | None
    updated_at: datetime | None
    arxiv_url: str | None
    pdf_url: str | None
    code_url: str | None
    project_url: str | None
    github_stars: int | None
    ai_summary: str | None
    ai_keywords: list[str]
    thumbnail_url: str | None
    upvotes: int
    local_upvotes: int = 0


@dataclass(slots=True)
class FeedEntry:
    """A paper on a daily feed: the paper, the date, who submitted it, comment count
    (imported + visible local ones; `local_comments` the latter), HF's item if any."""

    paper: Paper
    feature_date: date
    submitted_at: datetime
    submitted_by: str | None
    submitter_name: str | None
    num_comments: int
    local_comments: int = 0
    hf_item: HfJson | None = None

    @property
    def imported_comments(self) -> int:
        """Comments made on the site the feature was imported from (Hugging Face): pages
        show them apart, as "N on Hugging Face", never added to the ones readers see here."""
        return self.num_comments - self.local_comments


@dataclass(slots=True)
class ApiEntry:
    """A paper with an arXiv id as the Hugging Face-shaped API serves it, with its feature
    (the one asked for, or its latest; none if never featured).

    `hf_paper_json`/`hf_item_json` are HF's objects as stored, JSON text (None where HF sent
    none): the API splices them into its answers without parsing them again. The other
    fields are ours, and fill the paper and item for what HF never sent. Those used for
    nothing else are only loaded where they are needed, and are empty elsewhere: `authors`
    and `ai_keywords` for papers without `hf_paper_json`; `submitted_at`, `thumbnail_url` and
    `submitter_avatar` for entries without `hf_item_json` (store.features reads them).
    """

    paper_id: int
    arxiv_id: str
    hf_paper_json: str | None
    title: str
    abstract: str
    published_at: datetime | None
    ai_summary: str | None
    ai_keywords: list[str]
    thumbnail_url: str | None
    code_url: str | None
    project_url: str | None
    imported_upvotes: int
    local_upvotes: int
    feature_date: date | None = None
    submitted_at: datetime | None = None
    hf_item_json: str | None = None
    imported_comments: int = 0
    local_comments: int = 0
    submitted_by: str | None = None
    submitter_name: str | None = None
    submitter_avatar: str | None = None
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SentItem:
    """A daily item whose paper and item objects both came from HF: only those two objects
    as stored (JSON text, spliced into the answer as they are) and the values that are ours.
    Reading a whole `ApiEntry` for it (21 columns, most of them standing in for what HF
    sent) cost most of a first page after a write (docs/hf-api.md, "Speed")."""

    paper_json: str
    item_json: str
    feature_date: date
    local_upvotes: int
    local_comments: int
    code_url: str | None
    project_url: str | None


SearchSort = Literal["relevance", "date", "upvotes"]
"""The orders of search results: fused relevance, newest first, most upvoted first."""
SEARCH_SORTS: tuple[SearchSort, ...] = get_args(SearchSort)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Structured restrictions on a search, beside the text; None or empty means no limit."""

    since: date | None = None
    until: date | None = None
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    has_code: bool = False
    featured_only: bool = False

    @property
    def active(self) -> bool:
        """True when any restriction applies (the vector leg must then over-fetch)."""
        return (
            bool(self.since or self.until or self.categories or self.authors or self.has_code)
            or self.featured_only
        )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: the paper, its fused score, and HTML-safe highlighted text."""

    paper_id: int
    score: float
    title_html: str
    snippet_html: str
    paper: Paper


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of results; `total` counts the ranked candidates the page was cut from."""

    hits: list[SearchHit]
    total: int
    offset: int
    limit: int
