"""Collections: pages (with htmx partials and plain-form fallbacks) and the JSON API.

Routes parse input, call one function of `services.collections` and render; the visibility
and ownership rules live there. Forms carry the CSRF token (router-wide dependency).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from dailypapers.errors import InputError, NotFound
from dailypapers.services import collections
from dailypapers.web.api import HfErrorRoute, error_response
from dailypapers.web.api_schemas import ErrorBody
from dailypapers.web.deps import (
    CurrentUser,
    Engine,
    PageNumber,
    RowId,
    SignedIn,
    csrf_protect,
    get_settings,
    is_htmx,
    render,
)
from dailypapers.web.pages import NextField, paper_url, safe_next

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
# Bad parameters are 400 `{"error": ...}` as in the rest of /api/, and documented so.
api_router = APIRouter(
    route_class=HfErrorRoute, tags=["Collections"], responses={400: {"model": ErrorBody}}
)


def _picker(
    request: Request, engine: Engine, user_id: int, paper_id: int, *, error: str | None = None
) -> Response:
    """The "Save to collection" menu of one paper: a partial for htmx, else a whole page
    whose forms come back to it (`back` leads to where the member came from)."""
    picker = collections.picker(engine, user_id, paper_id)
    template = "_partials/picker.html" if is_htmx(request) else "collect.html"
    back = safe_next(request.query_params.get("next"), paper_url(picker.paper))
    here = f"/collections/picker?{urlencode({'paper': paper_id, 'next': back})}"
    status = 400 if error else 200
    return render(
        request, template, status_code=status, picker=picker, back=back, here=here, error=error
    )


@router.get("/collections")
def mine(request: Request, engine: Engine, user: SignedIn) -> Response:
    """The member's own collections, public and private, and a form for a new one."""
    found = collections.of_user(engine, user.username, viewer_id=user.id)
    return render(request, "collections.html", owner=user.username, found=found, mine=True)


@router.get("/u/{name}/collections")
def of_member(name: str, request: Request, engine: Engine, user: CurrentUser) -> Response:
    """A member's public collections (all of them when it is the viewer's own)."""
    found = collections.of_user(engine, name, viewer_id=user.id if user else None)
    mine = user is not None and user.username.lower() == name.lower()
    return render(request, "collections.html", owner=name, found=found, mine=mine)


@router.post("/collections")
def create(
    request: Request,
    engine: Engine,
    user: SignedIn,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    public: Annotated[bool, Form()] = False,
    paper_id: Annotated[int | None, Form()] = None,
    next: NextField = None,
) -> Response:
    """Make a collection, with a first paper when made from a paper's "Save" menu."""
    try:
        made = collections.create(
            engine, user.id, name=name, description=description, public=public, paper_id=paper_id
        )
    except InputError as exc:
        if paper_id is None or not is_htmx(request) or isinstance(exc, NotFound):
            raise
        return _picker(request, engine, user.id, paper_id, error=str(exc))
    if is_htmx(request) and paper_id is not None:
        return _picker(request, engine, user.id, paper_id)
    return RedirectResponse(safe_next(next, made.url), status_code=303)


@router.get("/collections/picker")
def picker(
    request: Request, engine: Engine, user: SignedIn, paper: Annotated[int, Query()]
) -> Response:
    """Which of the member's collections hold a paper, with add/remove/new buttons."""
    return _picker(request, engine, user.id, paper)


@router.get("/collections/{cid}")
def collection(
    cid: RowId, request: Request, engine: Engine, user: CurrentUser, page: PageNumber = 1
) -> Response:
    """A collection's page: public to all, private only to its owner (404 to others)."""
    shown = collections.view(engine, cid, viewer_id=user.id if user else None, page=page)
    return render(request, "collection.html", shown=shown)


@router.post("/collections/{cid}/edit")
def edit(
    cid: RowId,
    engine: Engine,
    user: SignedIn,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    public: Annotated[bool, Form()] = False,
) -> Response:
    """Rename, describe, or change who can see one of the member's collections."""
    done = collections.edit(
        engine, cid, owner_id=user.id, name=name, description=description, public=public
    )
    return RedirectResponse(done.url, status_code=303)


@router.post("/collections/{cid}/delete")
def delete(cid: RowId, engine: Engine, user: SignedIn) -> Response:
    """Delete one of the member's collections."""
    collections.delete(engine, cid, owner_id=user.id)
    return RedirectResponse("/collections", status_code=303)


@router.post("/collections/{cid}/{change}")
def change(
    cid: int,
    change: Literal["add", "remove"],
    request: Request,
    engine: Engine,
    user: SignedIn,
    paper_id: Annotated[int, Form()],
    next: NextField = None,
) -> Response:
    """Put a paper in, or take it out of, one of the member's collections; htmx gets the
    paper's picker back, plain forms go back where they came from."""
    if change == "add":
        collections.add_paper(engine, cid, paper_id, owner_id=user.id)
    else:
        collections.remove_paper(engine, cid, paper_id, owner_id=user.id)
    if is_htmx(request):
        return _picker(request, engine, user.id, paper_id)
    return RedirectResponse(safe_next(next, f"/collections/{cid}"), status_code=303)


class CollectedPaperOut(BaseModel):
    """A paper in a collection."""

    id: int = Field(description="This instance's paper id.")
    arxiv_id: str | None
    title: str
    authors: list[str]
    url: str = Field(description="The paper's page here (absolute).")
    added_at: datetime


class CollectionOut(BaseModel):
    """A collection without its papers."""

    id: int
    name: str
    description: str
    owner: str = Field(description="Username of the member who keeps it.")
    public: bool
    size: int = Field(description="How many papers it holds.")
    created_at: datetime
    updated_at: datetime = Field(description="The last addition, else when it was made.")
    url: str = Field(description="Its page (absolute): the address to share.")
    rss_url: str | None = Field(description="Its RSS feed (public collections only).")


class CollectionDetailOut(CollectionOut):
    """A collection with one page of its papers, newest additions first."""

    papers: list[CollectedPaperOut]
    page: int
    has_more: bool = Field(description="Whether page + 1 has more papers.")


def _base(request: Request) -> str:
    """Absolute links start with the configured public URL, never the Host header."""
    return get_settings(request).public_url


def _collection_out(request: Request, found: collections.Collection) -> dict[str, object]:
    base = _base(request)
    return {
        "id": found.id,
        "name": found.name,
        "description": found.description,
        "owner": found.owner,
        "public": found.public,
        "size": found.size,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
        "url": f"{base}{found.url}",
        "rss_url": f"{base}/feeds/collections/{found.id}.xml" if found.public else None,
    }


_NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorBody}}


@api_router.get("/api/collections", response_model=list[CollectionOut], responses=_NOT_FOUND)
def api_list(
    request: Request,
    engine: Engine,
    user: CurrentUser,
    owner: Annotated[str, Query(description="Username whose collections to list.")],
) -> list[dict[str, object]] | JSONResponse:
    """A member's public collections (all of them for that member's own session)."""
    try:
        found = collections.of_user(engine, owner, viewer_id=user.id if user else None)
    except NotFound as exc:
        return error_response(404, str(exc))
    return [_collection_out(request, c) for c in found]


@api_router.get("/api/collections/{cid}", response_model=CollectionDetailOut, responses=_NOT_FOUND)
def api_collection(
    cid: RowId, request: Request, engine: Engine, user: CurrentUser, page: PageNumber = 1
) -> dict[str, object] | JSONResponse:
    """One collection and a page of its papers; private collections are 404 to all but
    their owner (signed in with the session cookie)."""
    try:
        shown = collections.view(engine, cid, viewer_id=user.id if user else None, page=page)
    except NotFound as exc:
        return error_response(404, str(exc))
    base = _base(request)
    papers = [
        {
            "id": c.paper.id,
            "arxiv_id": c.paper.arxiv_id,
            "title": c.paper.title,
            "authors": c.paper.authors,
            "url": f"{base}{paper_url(c.paper)}",
            "added_at": c.added_at,
        }
        for c in shown.papers
    ]
    out = _collection_out(request, shown.collection)
    return {**out, "papers": papers, "page": shown.page, "has_more": shown.has_more}
