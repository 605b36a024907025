"""The JSON API's request and response models, with Hugging Face's names, and the mapping from
the services' typed objects to them. The one declaration of the HF shape in this project.

What HF sent is given back as it was sent: these models name every field HF is known to send
(so `/docs` shows them) and allow any other (`extra="allow"`, for what HF adds next). Papers
and features HF never sent get the same fields filled from our own data. Values that are
ours, never HF's (votes and comments cast here, code links found in abstracts, the feed
date), are under `dailypapers` (`ingest.hf_daily.LOCAL_FIELD`, which the HF importer drops
when mirroring an instance).
Responses leave out fields that were never set, as huggingface.co does.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dailypapers.models import ApiEntry, SentItem
from dailypapers.safety import MAX_PAGE
from dailypapers.services import hf_api
from dailypapers.services.hf_api import DEFAULT_LIMIT, hf_timestamp
from dailypapers.store.community import CommentRow

HfTimestamp = Annotated[
    str,
    Field(
        examples=["2024-01-02T05:00:00.000Z"],
        description="UTC, milliseconds, `Z` suffix (what huggingface_hub parses).",
    ),
]


class HfModel(BaseModel):
    """A Hugging Face object: the declared fields plus any other it carries."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class AuthorUser(HfModel):
    """The HF account an author is linked to."""

    id_: str | None = Field(default=None, alias="_id")
    avatarUrl: str | None = None
    fullname: str | None = None
    isPro: bool | None = None
    name: str | None = None
    user: str | None = None
    type: str | None = None


class Author(HfModel):
    """A paper author; `_id`, `user`, `status` where HF has them."""

    id_: str | None = Field(default=None, alias="_id")
    name: str
    hidden: bool = False
    status: str | None = None
    statusLastChangedAt: HfTimestamp | None = None
    user: AuthorUser | None = None


class User(HfModel):
    """An HF user (`submittedBy`, `submittedOnDailyBy`); `user` repeats the username."""

    id_: str | None = Field(default=None, alias="_id")
    name: str | None = None
    user: str | None = None
    fullname: str | None = None
    avatarUrl: str | None = None
    type: str | None = None
    isPro: bool | None = None
    isHf: bool | None = None
    isHfAdmin: bool | None = None
    isMod: bool | None = None
    followerCount: int | None = None
    isUserFollowing: bool | None = None


class Organization(HfModel):
    """An HF organization (on the item and on `paper`)."""

    id_: str | None = Field(default=None, alias="_id")
    name: str | None = None
    fullname: str | None = None
    avatar: str | None = None


class LocalPaper(BaseModel):
    """Ours, not HF's: what this instance adds to a paper."""

    upvotes: int = Field(description="Votes cast on this instance (HF's count is `upvotes`).")
    codeUrl: str | None = Field(default=None, description="Code link we know, found or sent.")
    projectUrl: str | None = None


class LocalItem(BaseModel):
    """Ours, not HF's: what this instance adds to a list item."""

    numComments: int = Field(description="Visible comments on this instance.")
    featureDate: str | None = Field(default=None, description="Our daily-feed date, YYYY-MM-DD.")


class PaperObject(HfModel):
    """A paper (the `paper` of list items; with more fields, `GET /api/papers/{id}`)."""

    id: str = Field(description="arXiv id, without version.")
    authors: list[Author]
    mediaUrls: list[str] | None = None
    publishedAt: HfTimestamp | None = Field(default=None, description="arXiv publication.")
    submittedOnDailyAt: HfTimestamp | None = None
    title: str
    submittedOnDailyBy: User | None = None
    summary: str
    upvotes: int = Field(description="HF's upvote count as imported (0 for papers HF never sent).")
    discussionId: str | None = None
    projectPage: str | None = None
    githubRepo: str | None = Field(default=None, description="Only when HF gave one.")
    githubRepoAddedBy: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    ai_summary_model: str | None = None
    githubStars: int | None = None
    organization: Organization | None = None
    dailypapers: LocalPaper | None = None


class Comment(BaseModel):
    """A comment posted on this instance (`?field=comments`)."""

    id: str
    parentId: str | None = None
    author: User
    createdAt: HfTimestamp
    raw: str = Field(description="The comment as written (markdown).")


class PaperDetail(PaperObject):
    """`GET /api/papers/{id}`: the paper, its links to repos (none: we host no models,
    datasets or Spaces), and with `?field=comments` the comments posted here."""

    numComments: int | None = None
    linkedModels: list[dict[str, Any]] = Field(default_factory=list)
    numTotalModels: int = 0
    linkedDatasets: list[dict[str, Any]] = Field(default_factory=list)
    numTotalDatasets: int = 0
    linkedSpaces: list[dict[str, Any]] = Field(default_factory=list)
    numTotalSpaces: int = 0
    comments: list[Comment] | None = None


class DailyItem(HfModel):
    """One item of `GET /api/daily_papers` (and of search results)."""

    paper: PaperObject
    publishedAt: HfTimestamp | None = Field(
        default=None, description="HF's own item timestamp; ours: when it was put on the feed."
    )
    title: str
    summary: str | None = None
    mediaUrl: str | None = None
    mediaUrls: list[str] | None = None
    thumbnail: str | None = None
    numComments: int = Field(default=0, description="HF's count as imported.")
    submittedBy: User | None = None
    organization: Organization | None = None
    submitterOrganization: Organization | None = None
    isAuthorParticipating: bool | None = None
    dailypapers: LocalItem | None = None


class HighlightSpan(BaseModel):
    """A piece of a highlighted title or summary; `highlight` marks a query word."""

    type: Literal["text", "highlight"]
    text: str


class SearchItem(DailyItem):
    """One item of `GET /api/papers/search`."""

    highlightedTitle: list[HighlightSpan]
    highlightedSummary: list[HighlightSpan]
    upvoted: bool = Field(
        default=False, description="Whether you upvoted it (the API is anonymous)."
    )


class ArxivRepos(BaseModel):
    """`GET /api/arxiv/{id}/repos`: repos citing the paper; we host none."""

    models: list[dict[str, Any]] = Field(default_factory=list)
    datasets: list[dict[str, Any]] = Field(default_factory=list)
    spaces: list[dict[str, Any]] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """What every error under /api/ answers, with the same text in `X-Error-Message`."""

    error: str


class DailyParams(BaseModel):
    """Query parameters of `GET /api/daily_papers` (at most one of date, week, month)."""

    date: str | None = Field(default=None, description="YYYY-MM-DD")
    week: str | None = Field(default=None, description="YYYY-Www, e.g. 2025-W09")
    month: str | None = Field(default=None, description="YYYY-MM")
    submitter: str | None = Field(default=None, description="Username of the submitter.")
    sort: Literal["publishedAt", "trending"] = "publishedAt"
    p: int = Field(default=0, ge=0, le=MAX_PAGE, description="Page number, from 0.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, description="Page size, capped at 100.")


class SearchParams(BaseModel):
    """Query parameters of `GET /api/papers/search`."""

    q: str = ""
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, description="Results, capped at 120.")


class PapersParams(BaseModel):
    """Query parameters of `GET /api/papers`."""

    cursor: str | None = Field(default=None, description="From the previous page's `Link`.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, description="Page size, capped at 100.")


class DetailParams(BaseModel):
    """Query parameters of `GET /api/papers/{id}`."""

    field: Literal["comments"] | None = Field(default=None, description="`comments` adds them.")


# --- mapping: the services' typed objects -> JSON of the models above ----------------------
#
# HF's objects are stored as JSON text and spliced into answers as they are: parsing and
# validating them again on every request cost more than the whole rest of a 100-item page.
# That the answers fit the models (so /docs is true) is checked by tests/test_hf_conformance.py
# over real records; the fields are named here and in the models only.

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_string = json.encoder.encode_basestring  # one str as JSON (C); as _encode, non-ASCII kept


def _members(object_json: str) -> str:
    """The members of a JSON object's text, without its braces ('' for an empty object)."""
    text = object_json.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError("not a JSON object")
    return text[1:-1].strip()


def _object(*members: str) -> str:
    return "{" + ",".join(m for m in members if m) + "}"


def _member(name: str, value: Any) -> str:
    return f"{_encode(name)}:{_encode(value)}"


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _our_submitter(e: ApiEntry) -> dict[str, Any] | None:
    """HF's user object for someone who featured a paper here."""
    if not e.submitted_by:
        return None
    name = e.submitted_by
    return _drop_none(
        {
            "name": name,
            "user": name,
            "fullname": e.submitter_name or name,
            "avatarUrl": e.submitter_avatar,
            "type": "user",
        }
    )


def _our_paper(e: ApiEntry) -> dict[str, Any]:
    """PaperObject's fields for a paper HF never sent, from our own data."""
    fields = _drop_none(
        {
            "id": e.arxiv_id,
            "authors": [{"name": name, "hidden": False} for name in e.authors],
            "publishedAt": hf_timestamp(e.published_at) if e.published_at else None,
            "title": e.title,
            "summary": e.abstract,
            "upvotes": e.imported_upvotes,
            "ai_summary": e.ai_summary,
            "ai_keywords": e.ai_keywords or None,
        }
    )
    if e.submitted_at is not None and e.hf_item_json is None:
        fields["submittedOnDailyAt"] = hf_timestamp(e.submitted_at)
        submitter = _our_submitter(e)
        if submitter:
            fields["submittedOnDailyBy"] = submitter
    return fields


def _our_item(e: ApiEntry) -> dict[str, Any]:
    """DailyItem's fields (but `paper`) for a feature HF never sent, or for no feature."""
    when = e.submitted_at or e.published_at
    return _drop_none(
        {
            "publishedAt": hf_timestamp(when) if when else None,
            "title": e.title,
            "summary": e.abstract,
            "thumbnail": e.thumbnail_url or "",
            "numComments": e.imported_comments,
            "submittedBy": _our_submitter(e),
            "isAuthorParticipating": False,
        }
    )


# The two `dailypapers` members are written out by hand: they come with every item of every
# page, and the general encoder's set-up per call cost more than all the rest of an item.


def _local_paper(e: ApiEntry | SentItem) -> str:
    """LocalPaper's members: our votes, and the code and project links we know."""
    text = f'"dailypapers":{{"upvotes":{e.local_upvotes:d}'
    if e.code_url is not None:
        text += f',"codeUrl":{_string(e.code_url)}'
    if e.project_url is not None:
        text += f',"projectUrl":{_string(e.project_url)}'
    return text + "}"


def _local_item(e: ApiEntry | SentItem) -> str:
    """LocalItem's members: our visible comments and the feed date."""
    if e.feature_date is None:
        return f'"dailypapers":{{"numComments":{e.local_comments:d}}}'
    day = e.feature_date.isoformat()
    return f'"dailypapers":{{"numComments":{e.local_comments:d},"featureDate":"{day}"}}'


def _paper_members(e: ApiEntry) -> str:
    """The members of HF's paper object as sent, or of ours for a paper HF never sent (which
    stores JSON null, its text "null", like a missing one)."""
    hf = e.hf_paper_json if e.hf_paper_json not in (None, "null") else _encode(_our_paper(e))
    return _members(hf)


def paper_json(e: ApiEntry, *extra: str) -> str:
    """PaperObject: HF's paper object as sent (ours for papers HF never sent), our values
    under `dailypapers`, then any extra members."""
    return _object(_paper_members(e), _local_paper(e), *extra)


def daily_item_json(e: ApiEntry | SentItem, *extra: str) -> str:
    """DailyItem: `paper`, HF's item fields as sent (ours for features HF never sent), our
    values under `dailypapers`, then any extra members. A `SentItem`'s two objects are
    spliced as they are: store.features.sent_items only reads objects whose text is braces
    around their members."""
    if isinstance(e, SentItem):
        paper, item = e.paper_json[1:-1], e.item_json[1:-1]
    else:
        paper = _paper_members(e)
        item = _members(e.hf_item_json if e.hf_item_json is not None else _encode(_our_item(e)))
    # Joined once, not as nested `_object`s: each of these ~6 kB texts would be copied four
    # more times, which showed in the first page after a write (100 items).
    members = ",".join(m for m in (item, _local_item(e), *extra) if m)
    comma = "," if paper else ""
    return "".join(('{"paper":{', paper, comma, _local_paper(e), "},", members, "}"))


def _spans(spans: list[hf_api.Span]) -> list[dict[str, str]]:
    return [{"type": s.type, "text": s.text} for s in spans]


def search_item_json(result: hf_api.SearchResult) -> str:
    """SearchItem: the item plus highlighted title and summary as spans; `upvoted` is false
    (the API is anonymous)."""
    return daily_item_json(
        result.entry,
        _member("highlightedTitle", _spans(result.title)),
        _member("highlightedSummary", _spans(result.summary)),
        _member("upvoted", False),
    )


_REPO_FIELDS = (
    "linkedModels", "numTotalModels", "linkedDatasets", "numTotalDatasets",
    "linkedSpaces", "numTotalSpaces",
)  # fmt: skip
_NO_REPOS = ",".join(
    _member(name, value)
    for name, value in PaperDetail.model_construct().model_dump(include=set(_REPO_FIELDS)).items()
)


def paper_detail_json(detail: hf_api.PaperDetail) -> str:
    """PaperDetail: the paper object, HF's comment count of its latest feature, no linked
    repos (we host none), and with `?field=comments` the comments posted here."""
    e = detail.entry
    extra = [_NO_REPOS]
    if e.feature_date is not None:
        item = json.loads(e.hf_item_json) if e.hf_item_json else None  # JSON null if not HF's
        count = item.get("numComments") if isinstance(item, dict) else None
        extra.append(_member("numComments", e.imported_comments if count is None else count))
    if detail.comments is not None:
        extra.append(_member("comments", [_comment(c) for c in detail.comments]))
    return paper_json(e, *extra)


def _comment(row: CommentRow) -> dict[str, Any]:
    name, fullname = row.username, row.display_name or row.username
    return _drop_none(
        {
            "id": str(row.id),
            "parentId": str(row.parent_id) if row.parent_id is not None else None,
            "author": {"name": name, "user": name, "fullname": fullname, "type": "user"},
            "createdAt": hf_timestamp(row.created_at),
            "raw": row.body,
        }
    )


def json_list(items: list[bytes]) -> bytes:
    """A JSON array of already-encoded items (UTF-8), copied once: `[` and `]` added to a
    joined page (~600 kB for 100 items) would copy it twice more."""
    if not items:
        return b"[]"
    parts = [b","] * (2 * len(items) + 1)
    parts[0], parts[1::2], parts[-1] = b"[", items, b"]"
    return b"".join(parts)
