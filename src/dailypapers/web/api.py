"""Hugging Face-compatible JSON API: daily papers, paper info, search, paper markdown.

Include this router before the HTML pages: `/papers/{id}.md` must be tried before the
page route `/papers/{arxiv_id}`, which would otherwise take `2401.00001.md` as an id.
Errors are `{"error": ...}` with the text repeated in `X-Error-Message` (what
huggingface_hub shows): bad parameters of these routes are 400 through this router's route
class, and the app's handlers answer the same shape for anything else under /api/ (unknown
routes, 405s). `Authorization` headers sent by clients are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute

from dailypapers.errors import InputError
from dailypapers.services import hf_api
from dailypapers.store.features import FeatureKey
from dailypapers.web import api_schemas as schemas
from dailypapers.web.api_schemas import (
    ArxivRepos,
    DailyItem,
    DailyParams,
    DetailParams,
    ErrorBody,
    PaperDetail,
    PaperObject,
    PapersParams,
    SearchItem,
    SearchParams,
)
from dailypapers.web.deps import Engine, Searcher, get_fragments, get_runtime
from dailypapers.web.page_cache import generation_read


def error_response(status: int, message: str) -> JSONResponse:
    """`{"error": message}` with the message, on one latin-1 line, in `X-Error-Message`."""
    header = " ".join(message.split()).encode("latin-1", "replace").decode("latin-1")
    return JSONResponse({"error": message}, status_code=status, headers={"X-Error-Message": header})


def validation_message(exc: RequestValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'][1:])) or 'request'}: {e['msg']}" for e in exc.errors()
    )


class HfErrorRoute(APIRoute):
    """Turns bad parameters into 400 `{"error": ...}` for this router's routes only."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler, which raises validation errors inside the route."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return error_response(400, validation_message(exc))
            except InputError as exc:
                return error_response(400, str(exc))

        return route


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}

# The markdown route's errors are JSON like the rest of the API; say so, since FastAPI
# would document them in the route's own media type.
_MARKDOWN_ERRORS = {
    code: {**spec, "content": {"application/json": {}}} for code, spec in _ERRORS.items()
}

router = APIRouter(route_class=HfErrorRoute, tags=["Hugging Face-compatible API"])


class MarkdownResponse(PlainTextResponse):
    """A markdown body, documented as `text/markdown` (what it is sent as)."""

    media_type = "text/markdown"


def _json(body: bytes, headers: dict[str, str] | None = None) -> Response:
    """Already-serialised JSON (see api_schemas: HF's stored text is spliced in as it is)."""
    return Response(body, media_type="application/json", headers=headers)


def _next_link(request: Request, **params: str | int) -> dict[str, str]:
    return {"Link": f'<{request.url.include_query_params(**params)}>; rel="next"'}


@router.get("/api/daily_papers", response_model=list[DailyItem], responses=_ERRORS)
def daily_papers(
    request: Request, engine: Engine, params: Annotated[DailyParams, Query()]
) -> Response:
    """Featured papers of a date, week or month (default: all), paged from p=0.

    A `limit` over 100 serves 100, and the `Link` to the next page says `limit=100`."""
    limit = min(params.limit, hf_api.MAX_DAILY_LIMIT)
    query = hf_api.DailyQuery(
        span=hf_api.period(day=params.date, week=params.week, month=params.month),
        submitter=params.submitter,
        sort=params.sort,
        page=params.p,
        limit=limit,
        today=get_runtime(request).today(),
        trending_window_days=get_runtime(request).settings.trending_window_days,
    )
    page = hf_api.daily_page(engine, query)
    items = get_fragments(request).get(
        page.keys,
        lambda keys: _daily_items(engine, keys),
        generation=generation_read(request.scope),
    )
    headers = _next_link(request, p=params.p + 1, limit=limit) if page.has_more else None
    return _json(schemas.json_list(items), headers)


def _daily_items(engine: sa.Engine, keys: list[FeatureKey]) -> dict[FeatureKey, bytes]:
    """The JSON of these features' daily items, by key (what the fragment cache lacks)."""
    entries = hf_api.daily_entries(engine, keys)
    return {key: schemas.daily_item_json(entry).encode() for key, entry in entries.items()}


@router.get("/api/papers/search", response_model=list[SearchItem], responses=_ERRORS)
def search_papers(
    engine: Engine, searcher: Searcher, params: Annotated[SearchParams, Query()]
) -> Response:
    """Papers matching a query by arXiv id, words or meaning, best first, with the query's
    words marked in `highlightedTitle` and `highlightedSummary`."""
    limit = min(params.limit, hf_api.MAX_SEARCH_LIMIT)
    results = hf_api.search_papers(engine, searcher, params.q, limit=limit)
    return _json(schemas.json_list([schemas.search_item_json(r).encode() for r in results]))


@router.get("/api/papers", response_model=list[PaperObject], responses=_ERRORS)
def list_papers(
    request: Request, engine: Engine, params: Annotated[PapersParams, Query()]
) -> Response:
    """Every paper with an arXiv id, newest publication first; the next page is in `Link`."""
    limit = min(params.limit, hf_api.MAX_PAPERS_LIMIT)
    page = hf_api.list_papers(engine, cursor=params.cursor, limit=limit)
    headers = (
        _next_link(request, cursor=page.next_cursor, limit=limit) if page.next_cursor else None
    )
    return _json(schemas.json_list([schemas.paper_json(e).encode() for e in page.items]), headers)


@router.get("/api/arxiv/{paper_id:path}/repos", response_model=ArxivRepos, responses=_ERRORS)
def arxiv_repos(engine: Engine, paper_id: str) -> Response:
    """Models, datasets and Spaces citing the paper: always none, as we host no repos."""
    if hf_api.known_arxiv_paper(engine, paper_id) is None:
        return _not_found(paper_id)
    return _json(ArxivRepos().model_dump_json().encode())


@router.get("/api/papers/{paper_id:path}", response_model=PaperDetail, responses=_ERRORS)
def paper_info(engine: Engine, paper_id: str, params: Annotated[DetailParams, Query()]) -> Response:
    """One paper by arXiv id (old-style ids contain a slash, hence the path converter);
    `?field=comments` adds the comments posted here."""
    detail = hf_api.paper_detail(engine, paper_id, comments=params.field == "comments")
    if detail is None:
        return _not_found(paper_id)
    return _json(schemas.paper_detail_json(detail).encode())


@router.get(
    "/papers/{paper_id:path}.md",
    response_class=MarkdownResponse,
    responses=_MARKDOWN_ERRORS,
)
def paper_markdown(engine: Engine, paper_id: str) -> Response:
    """The paper page as markdown, as `HfApi.read_paper` expects."""
    return markdown_response(engine, paper_id)


def markdown_response(engine: sa.Engine, paper_id: str) -> Response:
    """The paper as `text/markdown`, or a 404 `{"error": ...}` (also used by the HTML page
    route for `Accept: text/markdown`)."""
    text = hf_api.paper_markdown(engine, paper_id)
    if text is None:
        return _not_found(paper_id)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


def _not_found(paper_id: str) -> JSONResponse:
    return error_response(404, f"paper {paper_id!r} not found")
