"""The JSON API's request and response models, with Hugging Face's names, and the mapping from
the services' typed objects to them. The one declaration of the HF shape in this project.

What HF sent is given back as it was sent: its objects are validated into these models, which
name every field HF is known to send (so `/docs` shows them) and keep any other field too
(`extra="allow"`, for what HF adds next). Papers and features HF never sent get the same
fields filled from our own data. Values that are ours, never HF's (votes and comments cast
here, code links found in abstracts, the feed date), are under `dailypapers`
(`ingest.hf_daily.LOCAL_FIELD`, which the HF importer drops when mirroring an instance).
Responses leave out fields that were never set, as huggingface.co does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from dailypapers.models import FeedEntry, Paper
from dailypapers.services import hf_api
from dailypapers.services.hf_api import DEFAULT_LIMIT, ApiItem, hf_timestamp
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
    p: int = Field(default=0, ge=0, description="Page number, from 0.")
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


# --- mapping: services' typed objects -> the models above -----------------------------------


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _local_paper(paper: Paper) -> dict[str, Any]:
    return _drop_none(
        {"upvotes": paper.local_upvotes, "codeUrl": paper.code_url, "projectUrl": paper.project_url}
    )


def _our_submitter(feature: FeedEntry, avatar: str | None) -> dict[str, Any] | None:
    """HF's user object for someone who featured a paper here."""
    if not feature.submitted_by:
        return None
    name = feature.submitted_by
    fullname = feature.submitter_name or name
    return _drop_none(
        {"name": name, "user": name, "fullname": fullname, "avatarUrl": avatar, "type": "user"}
    )


def _paper_fields(item: ApiItem) -> dict[str, Any]:
    """HF's paper object as sent, or ours for a paper HF never sent."""
    paper, feature = item.paper, item.feature
    if paper.hf_paper is not None:
        fields = dict(paper.hf_paper)
    else:
        fields = _drop_none(
            {
                "id": item.arxiv_id,
                "authors": [{"name": name, "hidden": False} for name in paper.authors],
                "publishedAt": hf_timestamp(paper.published_at) if paper.published_at else None,
                "title": paper.title,
                "summary": paper.abstract,
                "upvotes": paper.upvotes - paper.local_upvotes,
                "ai_summary": paper.ai_summary,
                "ai_keywords": paper.ai_keywords or None,
            }
        )
        if feature is not None and feature.hf_item is None:
            fields["submittedOnDailyAt"] = hf_timestamp(feature.submitted_at)
            submitter = _our_submitter(feature, item.submitter_avatar)
            if submitter:
                fields["submittedOnDailyBy"] = submitter
    fields["id"] = item.arxiv_id
    fields["dailypapers"] = _local_paper(paper)
    return fields


def _item_fields(item: ApiItem) -> dict[str, Any]:
    """HF's item fields as sent, or ours for a feature HF never sent (or no feature)."""
    paper, feature = item.paper, item.feature
    local: dict[str, Any] = {"numComments": feature.local_comments if feature else 0}
    if feature is not None:
        local["featureDate"] = feature.feature_date.isoformat()
    if feature is not None and feature.hf_item is not None:
        fields = dict(feature.hf_item)
    else:
        when = feature.submitted_at if feature else paper.published_at
        fields = _drop_none(
            {
                "publishedAt": hf_timestamp(when) if when else None,
                "title": paper.title,
                "summary": paper.abstract,
                "thumbnail": paper.thumbnail_url or "",
                "numComments": feature.num_comments - feature.local_comments if feature else 0,
                "submittedBy": _our_submitter(feature, item.submitter_avatar) if feature else None,
                "isAuthorParticipating": False,
            }
        )
    return {"paper": _paper_fields(item), **fields, "dailypapers": local}


def daily_item(item: ApiItem) -> DailyItem:
    """The `/api/daily_papers` item for an ApiItem."""
    return DailyItem.model_validate(_item_fields(item))


def search_item(result: hf_api.SearchResult) -> SearchItem:
    """The `/api/papers/search` item for a SearchResult."""
    fields = _item_fields(result.item)
    fields["highlightedTitle"] = [{"type": s.type, "text": s.text} for s in result.title]
    fields["highlightedSummary"] = [{"type": s.type, "text": s.text} for s in result.summary]
    fields["upvoted"] = False
    return SearchItem.model_validate(fields)


def paper_object(item: ApiItem) -> PaperObject:
    """The paper object alone (`/api/papers` lists them)."""
    return PaperObject.model_validate(_paper_fields(item))


def paper_detail(detail: hf_api.PaperDetail) -> PaperDetail:
    """`/api/papers/{id}`: the paper object plus repo links (none here) and comments."""
    fields = _paper_fields(detail.item)
    feature = detail.item.feature
    if feature is not None:
        hf_item = feature.hf_item or {}
        fields["numComments"] = hf_item.get(
            "numComments", feature.num_comments - feature.local_comments
        )
    fields |= {
        "linkedModels": [], "numTotalModels": 0, "linkedDatasets": [], "numTotalDatasets": 0,
        "linkedSpaces": [], "numTotalSpaces": 0,
    }  # fmt: skip
    if detail.comments is not None:
        fields["comments"] = [_comment(c) for c in detail.comments]
    return PaperDetail.model_validate(fields)


def _comment(row: CommentRow) -> dict[str, Any]:
    name = row.username
    return {
        "id": str(row.id),
        "parentId": str(row.parent_id) if row.parent_id is not None else None,
        "author": {
            "name": name,
            "user": name,
            "fullname": row.display_name or name,
            "type": "user",
        },
        "createdAt": hf_timestamp(row.created_at),
        "raw": row.body,
    }


DAILY_LIST: TypeAdapter[list[DailyItem]] = TypeAdapter(list[DailyItem])
SEARCH_LIST: TypeAdapter[list[SearchItem]] = TypeAdapter(list[SearchItem])
PAPER_LIST: TypeAdapter[list[PaperObject]] = TypeAdapter(list[PaperObject])


def dump(adapter: TypeAdapter[Any], value: Any) -> bytes:
    """JSON with HF's names (`_id`, not `id_`) and without fields that were never set."""
    return adapter.dump_json(value, by_alias=True, exclude_unset=True)
