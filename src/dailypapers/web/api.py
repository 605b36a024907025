"""Hugging Face-compatible JSON API: daily papers, paper info, search, paper markdown.

Include this router before the HTML pages: `/papers/{id}.md` must be tried before the
page route `/papers/{arxiv_id}`, which would otherwise take `2401.00001.md` as an id.
Errors are `{"error": ...}` with the text repeated in `X-Error-Message` (what
huggingface_hub shows); they are produced by this router's route class, so the app's
own error pages are untouched. `Authorization` headers sent by clients are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute

from dailypapers.errors import InputError
from dailypapers.services import hf_api
from dailypapers.web.api_schemas import (
    DailyItem,
    DailyParams,
    ErrorBody,
    PaperDetail,
    SearchItem,
    SearchParams,
)
from dailypapers.web.deps import Engine, Searcher


def error_response(status: int, message: str) -> JSONResponse:
    """`{"error": message}` with the message, on one latin-1 line, in `X-Error-Message`."""
    header = " ".join(message.split()).encode("latin-1", "replace").decode("latin-1")
    return JSONResponse({"error": message}, status_code=status, headers={"X-Error-Message": header})


def _validation_message(exc: RequestValidationError) -> str:
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
                return error_response(400, _validation_message(exc))
            except InputError as exc:
                return error_response(400, str(exc))

        return route


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
}

router = APIRouter(route_class=HfErrorRoute, tags=["Hugging Face-compatible API"])


@router.get(
    "/api/daily_papers",
    response_model=list[DailyItem],
    response_model_exclude_none=True,
    responses=_ERRORS,
)
def daily_papers(
    request: Request, response: Response, engine: Engine, params: Annotated[DailyParams, Query()]
) -> list[hf_api.Json]:
    """Featured papers of a date, week or month (default: all), paged from p=0."""
    query = hf_api.DailyQuery(
        span=hf_api.period(day=params.date, week=params.week, month=params.month),
        submitter=params.submitter,
        sort=params.sort,
        page=params.p,
        limit=min(params.limit, hf_api.MAX_DAILY_LIMIT),
    )
    page = hf_api.daily_papers(engine, query)
    if page.has_more:
        response.headers["Link"] = (
            f'<{request.url.include_query_params(p=params.p + 1)}>; rel="next"'
        )
    return page.items


@router.get(
    "/api/papers/search",
    response_model=list[SearchItem],
    response_model_exclude_none=True,
    responses=_ERRORS,
)
def search_papers(
    engine: Engine, searcher: Searcher, params: Annotated[SearchParams, Query()]
) -> list[hf_api.Json]:
    """Papers matching a query by words or meaning, best first, with highlighted title and
    summary."""
    limit = min(params.limit, hf_api.MAX_SEARCH_LIMIT)
    return hf_api.search_papers(engine, searcher, params.q, limit=limit)


@router.get(
    "/api/papers/{paper_id:path}",
    response_model=PaperDetail,
    response_model_exclude_none=True,
    responses=_ERRORS,
)
def paper_info(engine: Engine, paper_id: str) -> hf_api.Json | JSONResponse:
    """One paper by arXiv id (old-style ids contain a slash, hence the path converter)."""
    detail = hf_api.paper_detail(engine, paper_id)
    return detail if detail is not None else _not_found(paper_id)


@router.get(
    "/papers/{paper_id:path}.md",
    response_class=PlainTextResponse,
    responses={404: {"model": ErrorBody}},
)
def paper_markdown(engine: Engine, paper_id: str) -> Response:
    """The paper page as markdown, as `HfApi.read_paper` expects."""
    text = hf_api.paper_markdown(engine, paper_id)
    if text is None:
        return _not_found(paper_id)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


def _not_found(paper_id: str) -> JSONResponse:
    return error_response(404, f"paper {paper_id!r} not found")
