"""The reader's own pages: /for-you, the reading list and "not interested" controls, and
the settings page where every signal can be seen and changed.

Routes parse input, call one `services.foryou` function and render; htmx gets partials,
plain forms (no JavaScript) are redirected back. CSRF is checked router-wide.
"""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dailypapers.errors import InputError, NotFound
from dailypapers.periods import parse_date
from dailypapers.services import citations, collections, foryou, reader_data
from dailypapers.services import papers as paper_pages
from dailypapers.services import search as search_service
from dailypapers.store.readers import Preferences
from dailypapers.web.deps import (
    CurrentUser,
    Engine,
    Recommender,
    Searcher,
    SignedIn,
    csrf_protect,
    form_list,
    is_htmx,
    render,
)
from dailypapers.web.pages import safe_next

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
NextField = Annotated[str | None, Form()]
EXPORT_LIMIT = 100


def _for_you_url(period: str, day: str | None) -> str:
    query = {"period": period, **({"day": day} if day else {})}
    return f"/for-you?{urlencode(query)}"


def _page(
    recommender: Recommender, user_id: int, period: str, day: str | None
) -> foryou.ForYouPage:
    try:
        parsed = parse_date(day) if day else None
        return foryou.for_you(recommender, user_id=user_id, period=period, day=parsed)
    except InputError as exc:
        raise NotFound(str(exc)) from None


@router.get("/for-you")
def for_you(
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    period: str = "day",
    day: str | None = None,
) -> Response:
    """The period's papers ranked for the signed-in reader, each with its reason."""
    page = _page(recommender, user.id, period, day)
    return render(request, "foryou.html", page=page, day=day)


@router.post("/for-you/dismiss")
def dismiss_here(
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    paper: Annotated[int, Form()],
    period: Annotated[str, Form()] = "day",
    day: Annotated[str | None, Form()] = None,
) -> Response:
    """ "Not interested" on /for-you: refit, then the list comes back re-ranked (htmx) or
    the page is loaded again (plain form)."""
    foryou.set_dismissed(recommender, user_id=user.id, paper_id=paper, dismissed=True)
    if not is_htmx(request):
        return RedirectResponse(_for_you_url(period, day), status_code=303)
    page = _page(recommender, user.id, period, day)
    return render(request, "_partials/foryou_list.html", page=page, day=day)


@router.post("/papers/{pid}/save")
def save(
    pid: int,
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    saved: Annotated[bool, Form()] = True,
    next: NextField = None,
) -> Response:
    """Add a paper to the private reading list (or take it off)."""
    foryou.set_saved(recommender, user_id=user.id, paper_id=pid, saved=saved)
    if is_htmx(request):
        return render(request, "_partials/read_later.html", pid=pid, saved=saved)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/papers/{pid}/dismiss")
def dismiss(
    pid: int,
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    dismissed: Annotated[bool, Form()] = True,
    next: NextField = None,
) -> Response:
    """Mark a paper "not interested" (or undo it) from any card."""
    foryou.set_dismissed(recommender, user_id=user.id, paper_id=pid, dismissed=dismissed)
    if is_htmx(request):
        return render(request, "_partials/not_interested.html", pid=pid, dismissed=dismissed)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/settings/reading")
def settings_page(request: Request, recommender: Recommender, user: SignedIn) -> Response:
    """Everything the feed learns from, in one place, each part editable."""
    return _settings(request, recommender, user.id)


def _settings(
    request: Request,
    recommender: Recommender,
    user_id: int,
    *,
    prefs: Preferences | None = None,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    engine = recommender.engine
    return render(
        request,
        "settings_reading.html",
        status_code=400 if error else 200,
        prefs=prefs or foryou.preferences(engine, user_id),
        saved=foryou.reading_list(engine, user_id),
        dismissed=foryou.dismissed(engine, user_id),
        message=message,
        error=error,
    )


@router.post("/settings/reading")
def save_settings(
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    topics: Annotated[str, Form()] = "",
    categories: Annotated[str, Form()] = "",
    authors: Annotated[str, Form()] = "",
    include_categories: Annotated[str, Form()] = "",
    exclude_categories: Annotated[str, Form()] = "",
    include_keywords: Annotated[str, Form()] = "",
    exclude_keywords: Annotated[str, Form()] = "",
) -> Response:
    """Store the interests and feed filters as given (every list at once)."""
    prefs = Preferences(
        topics=form_list(topics),
        categories=form_list(categories),
        authors=form_list(authors),
        include_categories=form_list(include_categories),
        exclude_categories=form_list(exclude_categories),
        include_keywords=form_list(include_keywords),
        exclude_keywords=form_list(exclude_keywords),
    )
    try:
        foryou.save_preferences(recommender, user_id=user.id, prefs=prefs)
    except InputError as exc:
        return _settings(request, recommender, user.id, prefs=prefs, error=str(exc))
    return _settings(request, recommender, user.id, message="Saved. Your feed has learned it.")


def _download(text: str, fmt: str, name: str) -> Response:
    media, ext = citations.FORMATS[fmt]
    headers = {"Content-Disposition": f'attachment; filename="{name}.{ext}"'}
    return Response(text, media_type=media, headers=headers)


def _format(fmt: str) -> str:
    if fmt not in citations.FORMATS:
        raise NotFound(f"no export format {fmt!r}: use bib, ris or json")
    return fmt


@router.get("/export/reading-list.{fmt}")
def export_reading_list(fmt: str, engine: Engine, user: SignedIn) -> Response:
    """The reading list as BibTeX, RIS or CSL-JSON."""
    papers = [p for p, _ in foryou.reading_list(engine, user.id)]
    return _download(citations.render(papers, _format(fmt)), fmt, "reading-list")


@router.get("/export/paper/{pid:int}.{fmt}")
def export_paper(pid: int, fmt: str, engine: Engine) -> Response:
    """One paper as BibTeX, RIS or CSL-JSON."""
    found = paper_pages.papers_by_id(engine, [pid])
    if not found:
        raise NotFound(f"no paper with id {pid}")
    return _download(
        citations.render(found, _format(fmt)), fmt, found[0].arxiv_id or f"paper-{pid}"
    )


@router.get("/export/search.{fmt}")
def export_search(fmt: str, searcher: Searcher, q: str = "") -> Response:
    """The first EXPORT_LIMIT results of a search as BibTeX, RIS or CSL-JSON."""
    if not q.strip():
        raise InputError("give a search to export: ?q=...")
    papers = search_service.papers_matching(searcher, q, limit=EXPORT_LIMIT)
    return _download(citations.render(papers, _format(fmt)), fmt, "search")


@router.get("/export/collection/{cid:int}.{fmt}")
def export_collection(cid: int, fmt: str, engine: Engine, user: CurrentUser) -> Response:
    """A collection the viewer may read, as BibTeX, RIS or CSL-JSON."""
    viewer = user.id if user else None
    papers = []
    for page in range(1, EXPORT_LIMIT):
        found = collections.view(engine, cid, viewer_id=viewer, page=page)
        papers += [c.paper for c in found.papers]
        if not found.has_more:
            break
    return _download(citations.render(papers, _format(fmt)), fmt, f"collection-{cid}")


@router.get("/settings/export.json")
def export_everything(engine: Engine, user: SignedIn) -> Response:
    """Everything stored that is the reader's, as one JSON download."""
    body = json.dumps(reader_data.export(engine, user), ensure_ascii=False, indent=2)
    headers = {"Content-Disposition": f'attachment; filename="dailypapers-{user.username}.json"'}
    return Response(body, media_type="application/json", headers=headers)


@router.post("/settings/delete-account")
def delete_account(
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Delete the account with all its data, then sign out."""
    try:
        reader_data.delete_account(recommender.engine, user, confirm=confirm)
    except InputError as exc:
        return _settings(request, recommender, user.id, error=str(exc))
    request.session.clear()
    return RedirectResponse("/", status_code=303)
