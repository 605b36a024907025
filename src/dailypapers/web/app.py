"""The web application factory: `create_app(runtime)` wires routers, middleware, templates."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from dailypapers import __version__
from dailypapers.errors import Forbidden, InputError, NotFound
from dailypapers.models import PaperRecord
from dailypapers.periods import iso_week
from dailypapers.runtime import Runtime
from dailypapers.services.submissions import Fetch
from dailypapers.services.trending import FORMULA as TRENDING_FORMULA
from dailypapers.signing import resolve_secret_key
from dailypapers.web import (
    admin,
    api,
    assets,
    auth,
    collections,
    feeds,
    pages,
    readers,
    security,
    subscriptions,
)
from dailypapers.web.deps import RateLimited, SignInRequired, refuse_nul, render
from dailypapers.web.page_cache import AnonymousPageCache, DatabaseGeneration
from dailypapers.web.pages import paper_url, period_url

HERE = Path(__file__).parent
logger = logging.getLogger(__name__)
SESSION_DAYS = 30


def create_app(runtime: Runtime, *, arxiv_fetch: Fetch | None = None) -> FastAPI:
    """Build the app for one Runtime; `arxiv_fetch` replaces live arXiv lookups (tests)."""
    settings = runtime.settings
    app = FastAPI(
        title="dailypapers",
        version=__version__,
        description="Daily featured papers, votes, comments, search and feeds.",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_nul)],
    )
    app.state.runtime = runtime
    app.state.templates = _templates(runtime)
    app.state.limiter = security.RateLimiter(runtime.engine)
    app.state.arxiv_fetch = arxiv_fetch or _live_fetch(runtime)
    # innermost: sees the decoded session
    app.add_middleware(AnonymousPageCache, shared=DatabaseGeneration(runtime.engine))
    app.add_middleware(
        SessionMiddleware,
        secret_key=resolve_secret_key(settings),
        session_cookie="dp_session",
        max_age=SESSION_DAYS * 86400,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    if settings.base_url:  # links never use Host; refusing others stops cache poisoning too
        app.add_middleware(
            TrustedHostMiddleware, allowed_hosts=[_host_of(settings.base_url)], www_redirect=False
        )
    app.add_middleware(security.BodyLimit, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(security.SecurityHeaders)
    # Outermost: pages, the API and static text shrink 3-5x on the wire (docs/web-performance.md);
    # level 6 costs a fraction of level 9's time for nearly the same size.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.mount("/static", assets.VersionedStaticFiles(directory=HERE / "static"), name="static")
    _include_routers(app)
    _add_error_handlers(app)
    return app


def _host_of(url: str) -> str:
    host = urlsplit(url).hostname
    assert host, "Settings checks BASE_URL has a host"
    return host


def _templates(runtime: Runtime) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")

    def absolute_url(request: Request, path: str) -> str:
        return assets.public_base(request, runtime.settings) + path

    templates.env.globals.update(
        absolute_url=absolute_url,
        static_url=assets.static_url,
        has_math=assets.has_math,
        papers_have_math=assets.papers_have_math,
        csrf_token=security.csrf_token,
        paper_url=paper_url,
        period_url=period_url,
        iso_week=iso_week,
        trending_formula=TRENDING_FORMULA,
        version=__version__,
    )
    return templates


def _live_fetch(runtime: Runtime) -> Fetch:
    """Look ids up on the arXiv API configured in settings (one polite client per call, with
    one retry: a visitor is waiting)."""

    def fetch(ids: list[str]) -> list[PaperRecord]:
        with runtime.arxiv_client(max_retries=1) as client:
            return client.fetch_ids(ids)

    return fetch


def _include_routers(app: FastAPI) -> None:
    # The JSON API and feeds go first so their paths win over the pages' catch-alls.
    app.include_router(api.router)
    app.include_router(collections.api_router)
    app.include_router(feeds.router)
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(subscriptions.router)
    app.include_router(admin.router)
    app.include_router(collections.router)
    app.include_router(readers.router)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI served from our own static files (no CDN)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="dailypapers API",
            swagger_js_url=assets.static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=assets.static_url("vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=assets.static_url("favicon.svg"),
        )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/feeds/"))


def _error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The friendly error page (JSON under /api and /feeds); never a traceback. Under /api/
    errors have Hugging Face's shape, `{"error": ...}` plus `X-Error-Message`."""
    response: Response
    if request.url.path.startswith("/api/"):
        response = api.error_response(status, message)
    elif _wants_json(request):
        response = JSONResponse({"detail": message}, status_code=status)
    else:
        response = render(request, "error.html", status_code=status, status=status, message=message)
    response.headers.update(headers or {})  # e.g. Allow on a 405
    return response


def _add_error_handlers(app: FastAPI) -> None:
    titles = {404: "There is nothing at this address.", 405: "That method is not allowed here."}

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = titles.get(exc.status_code, exc.detail)
        return _error(request, exc.status_code, str(detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return api.error_response(400, api.validation_message(exc))
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        return _error(request, 400, "The request was not understood; check the address.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(RateLimited)
    async def limited(request: Request, exc: RateLimited) -> Response:
        return _error(request, 429, "Too many requests: please wait a minute and try again.")

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        target = f"/signin?{urlencode({'next': request.url.path})}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        # This handler runs outside the middleware stack: add the security headers here.
        response: Response
        if request.url.path.startswith("/api/"):
            response = api.error_response(500, "internal error")
        elif _wants_json(request):
            response = JSONResponse({"detail": "internal error"}, status_code=500)
        else:
            message = "Something went wrong on our side; it has been logged."
            response = render(
                request, "error.html", status_code=500, status=500, message=message, user=None
            )
        response.headers.update(dict(security.header_pairs(request.url.path)))
        return response
