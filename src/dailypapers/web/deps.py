"""Typed request dependencies: runtime, engine, current user, CSRF, rate limits, rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from dailypapers.config import Settings
from dailypapers.errors import InputError
from dailypapers.recommend.reader import Recommender as RecommenderType
from dailypapers.runtime import Runtime
from dailypapers.safety import MAX_INT, MAX_PAGE
from dailypapers.search.searcher import HybridSearcher
from dailypapers.services import accounts
from dailypapers.services.submissions import Fetch
from dailypapers.store.users import User
from dailypapers.web import security
from dailypapers.web.page_cache import DatabaseGeneration, FragmentCache


def form_list(text: str) -> list[str]:
    """A form field of items separated by commas or new lines, as a list."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it then wants a partial, not a page or a redirect)."""
    return request.headers.get("hx-request") == "true"


class SignInRequired(Exception):
    """The page needs a signed-in user; the app redirects to /signin and back."""


class RateLimited(Exception):
    """Too many requests of one kind from one user or address; answered with a 429 page."""


def get_runtime(request: Request) -> Runtime:
    """The Runtime the app was built with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_engine(request: Request) -> sa.Engine:
    """The database engine."""
    return get_runtime(request).engine


def get_settings(request: Request) -> Settings:
    """The instance settings."""
    return get_runtime(request).settings


def current_user(request: Request) -> User | None:
    """The signed-in user (from the session's user id), looked up once per request."""
    if "user" not in request.state._state:
        uid = request.session.get("uid")
        user = accounts.get_user(get_engine(request), int(uid)) if uid else None
        if user is not None and request.session.get("sv") != user.session_version:
            user = None  # signed out, new password or role since: the session has ended
        if uid and user is None:
            request.session.clear()  # the account is gone or the session ended: drop it
        request.state.user = user
    found: User | None = request.state.user
    return found


def signed_in_user(user: Annotated[User | None, Depends(current_user)]) -> User:
    """The signed-in user, or a redirect to sign in."""
    if user is None:
        raise SignInRequired
    return user


def curator_user(user: Annotated[User, Depends(signed_in_user)]) -> User:
    """A signed-in curator or admin; others get 403."""
    if not accounts.is_curator(user):
        raise HTTPException(403, "Only curators can do that.")
    return user


def get_fragments(request: Request) -> FragmentCache[Any]:
    """The app's cache of encoded API items (web.page_cache.FragmentCache), made on first
    use: every app with the API router has one, whoever assembled it."""
    state = request.app.state
    fragments: FragmentCache[Any] | None = getattr(state, "fragments", None)
    if fragments is None:  # two threads may both make one: the last one stays, no harm
        fragments = state.fragments = FragmentCache(DatabaseGeneration(get_engine(request)))
    return fragments


def get_searcher(request: Request) -> HybridSearcher:
    """The runtime's hybrid searcher (built on first use; the model loads on the first query
    that needs vectors)."""
    return get_runtime(request).searcher


def get_recommender(request: Request) -> RecommenderType:
    """The runtime's per-reader models."""
    return get_runtime(request).recommender


def get_fetch(request: Request) -> Fetch:
    """How to look up unknown arXiv ids (tests inject a fake through the app factory)."""
    fetch: Fetch = request.app.state.arxiv_fetch
    return fetch


# Dependencies that do no I/O are coroutines: FastAPI runs a plain function dependency in a
# worker thread, and each hop there and back cost ~0.7 ms of CPU per request on a busy
# two-core machine (a third of a one-item /api/daily_papers; docs/web-performance.md).


async def _engine(request: Request) -> sa.Engine:
    """`get_engine` as a dependency."""
    return get_engine(request)


async def _fetch(request: Request) -> Fetch:
    """`get_fetch` as a dependency."""
    return get_fetch(request)


RowId = Annotated[int, Path(ge=1, le=MAX_INT, description="A stored id (paper, comment, claim).")]
"""An id in a path: larger numbers cannot name a row, so they are a 400, not a database error."""
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page, from 1.")]
Engine = Annotated[sa.Engine, Depends(_engine)]
CurrentUser = Annotated[User | None, Depends(current_user)]
SignedIn = Annotated[User, Depends(signed_in_user)]
Curator = Annotated[User, Depends(curator_user)]
Searcher = Annotated[HybridSearcher, Depends(get_searcher)]
Recommender = Annotated[RecommenderType, Depends(get_recommender)]
ArxivFetch = Annotated[Fetch, Depends(_fetch)]


async def refuse_nul(request: Request) -> None:
    """No address here holds a NUL character, and PostgreSQL cannot even compare one: a 400
    (`{"error": ...}` under /api/) rather than a database error. (A coroutine: it runs for
    every request and does no I/O, see above.)"""
    if "\x00" in request.url.path or b"%00" in request.scope["query_string"]:
        raise InputError("NUL characters are not allowed in an address")


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request without this session's CSRF token (header or field),
    or whose form fields hold a NUL character (no text here may, and PostgreSQL refuses it)."""
    if request.method in security.SAFE_METHODS:
        return
    form = await request.form()
    if any(isinstance(v, str) and "\x00" in v for v in form.values()):
        raise HTTPException(400, "NUL characters are not allowed in a form.")
    submitted = request.headers.get(security.CSRF_HEADER)
    if submitted is None:
        value = form.get(security.CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not security.csrf_valid(request, submitted):
        raise HTTPException(403, "The form expired or did not come from this site; reload it.")


def rate_limit(kind: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency allowing `rate_limit_<kind>_per_minute` hits per user (or IP) per minute."""

    async def check(request: Request) -> None:
        limit = getattr(get_settings(request), f"rate_limit_{kind}_per_minute")
        uid = request.session.get("uid")
        who = f"u{uid}" if uid else f"ip{request.client.host if request.client else '?'}"
        limiter = request.app.state.limiter
        if not await run_in_threadpool(limiter.allow, f"{kind}:{who}", limit):
            raise RateLimited(kind)

    return check


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page or partial with the viewer and CSRF helpers available to templates."""
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("user", current_user(request))
    return templates.TemplateResponse(request, template, context, status_code=status_code)
