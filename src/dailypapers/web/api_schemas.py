"""Request and response models of the JSON API, with Hugging Face's field names.

They document the API (OpenAPI) and filter what is sent: a field missing here is never
returned. Optional fields that are None are left out of responses, as huggingface.co does.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from dailypapers.services.hf_api import DEFAULT_LIMIT

HfTimestamp = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
        examples=["2024-01-02T05:00:00.000Z"],
        description="UTC, milliseconds, `Z` suffix (what huggingface_hub parses).",
    ),
]


class Author(BaseModel):
    """A paper author."""

    name: str
    hidden: bool = False


class Submitter(BaseModel):
    """The user who put a paper on the daily feed (`submittedBy`, `submittedOnDailyBy`)."""

    name: str
    user: str
    fullname: str
    avatarUrl: str | None = None
    type: str = "user"
    isPro: bool = False


class Links(BaseModel):
    """Code, project page and AI fields: in the paper object and repeated on list items."""

    githubRepo: str | None = None
    githubStars: int | None = None
    projectPage: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None


class PaperObject(Links):
    """A paper: the `paper` of a daily item."""

    id: str
    authors: list[Author]
    publishedAt: HfTimestamp | None = Field(default=None, description="arXiv publication.")
    submittedOnDailyAt: HfTimestamp | None = Field(
        default=None, description="When it was last put on the daily feed."
    )
    submittedOnDailyBy: Submitter | None = None
    title: str
    summary: str
    upvotes: int


class PaperDetail(PaperObject):
    """`GET /api/papers/{id}`."""

    numComments: int = 0


class DailyItem(Links):
    """One item of `GET /api/daily_papers`."""

    paper: PaperObject
    publishedAt: HfTimestamp | None = Field(
        default=None, description="When the paper was put on the daily feed."
    )
    title: str
    summary: str
    thumbnail: str | None = None
    numComments: int = 0
    submittedBy: Submitter | None = None
    isAuthorParticipating: bool = False


class SearchItem(DailyItem):
    """One item of `GET /api/papers/search`; highlights are HTML, everything else escaped."""

    highlightedTitle: str
    highlightedSummary: str


class ErrorBody(BaseModel):
    """What every error answers, with the same text in the `X-Error-Message` header."""

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
