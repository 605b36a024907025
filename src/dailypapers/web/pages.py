"""HTML pages: feed, paper, search, submit, profile, subscribe, curator actions; htmx partials.

Every route parses its input, makes one service call and renders; rules live in services.
State-changing routes are protected by the router-wide CSRF dependency.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from dailypapers.arxiv_ids import canonical_arxiv_id
from dailypapers.errors import InputError, NotFound
from dailypapers.models import Paper, SearchFilters, SearchSort
from dailypapers.paper_paths import paper_path
from dailypapers.periods import PERIOD_KINDS, Period, containing, parse_date, parse_period
from dailypapers.services import community, foryou, papers, submissions, subscriptions
from dailypapers.services import search as search_service
from dailypapers.services import trending as trending_service
from dailypapers.web import api
from dailypapers.web.deps import (
    ArxivFetch,
    Curator,
    CurrentUser,
    Engine,
    Recommender,
    RowId,
    Searcher,
    SignedIn,
    csrf_protect,
    form_list,
    get_runtime,
    is_htmx,
    rate_limit,
    render,
)

T = TypeVar("T")
NextField = Annotated[str | None, Form()]
router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def paper_url(paper: Paper) -> str:
    """The canonical page of a paper (see `paper_paths`)."""
    return paper_path(paper)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A local path to go to after a form post; anything else (other hosts) falls back."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return fallback


def _back(target: str | None, fallback: str = "/") -> RedirectResponse:
    """After a plain (non-htmx) form post, go back to the page it came from."""
    return RedirectResponse(safe_next(target, fallback), status_code=303)


PageParam = Annotated[int, Query(ge=1, le=10_000)]
AnchorParam = Annotated[str | None, Query(alias="day")]


def _feed(
    request: Request,
    engine: Engine,
    user: CurrentUser,
    period: Period,
    *,
    page: int = 1,
    anchor: str | None = None,
) -> Response:
    """A feed page; a period without papers is a normal page with its empty state."""
    day = _parsed(parse_date, anchor) if anchor else None
    shown = papers.feed_page(engine, period, viewer=user, page=page, anchor=day)
    return render(request, "feed.html", page=shown, period=period.kind, label=_label(period))


def _label(period: Period) -> str:
    if period.kind == "day":
        return period.start.strftime("%A, %-d %B %Y")
    if period.kind == "week":
        return f"Week {period.key} ({period.start:%-d %b} to {period.end:%-d %b %Y})"
    return period.start.strftime("%B %Y")


@router.get("/")
def home(request: Request, engine: Engine, user: CurrentUser, page: PageParam = 1) -> Response:
    """The latest day with featured papers."""
    day = papers.latest_day(engine, get_runtime(request).today())
    return _feed(request, engine, user, containing("day", day), page=page)


@router.get("/papers/date")
def pick_date(day: str, view: str = "day") -> Response:
    """The date picker without JavaScript: `?day=&view=` → the day, week or month of that
    day, so that picking a date keeps the view one was on."""
    picked = _parsed(parse_date, day)
    kind = view if view in PERIOD_KINDS else "day"
    return RedirectResponse(period_url(containing(kind, picked), picked), 303)


def period_url(period: Period, anchor: date | None = None) -> str:
    """The page of a period; weeks and months carry the day one came from (`?day=`)."""
    path = {"day": "date", "week": "week", "month": "month"}[period.kind]
    keep = f"?day={anchor.isoformat()}" if anchor and period.kind != "day" else ""
    return f"/papers/{path}/{period.key}{keep}"


@router.get("/papers/date/{day}")
def by_date(
    day: str, request: Request, engine: Engine, user: CurrentUser, page: PageParam = 1
) -> Response:
    """One day's featured papers."""
    return _feed(request, engine, user, _parsed(parse_period, "day", day), page=page)


@router.get("/papers/week/{week}")
def by_week(
    week: str,
    request: Request,
    engine: Engine,
    user: CurrentUser,
    page: PageParam = 1,
    anchor: AnchorParam = None,
) -> Response:
    """One ISO week's featured papers."""
    period = _parsed(parse_period, "week", week)
    return _feed(request, engine, user, period, page=page, anchor=anchor)


@router.get("/papers/month/{month}")
def by_month(
    month: str,
    request: Request,
    engine: Engine,
    user: CurrentUser,
    page: PageParam = 1,
    anchor: AnchorParam = None,
) -> Response:
    """One month's featured papers, a page at a time."""
    period = _parsed(parse_period, "month", month)
    return _feed(request, engine, user, period, page=page, anchor=anchor)


def _parsed(parse: Callable[..., T], *args: str) -> T:
    try:
        return parse(*args)
    except InputError as exc:
        raise NotFound(str(exc)) from None


@router.get("/papers/trending")
def trending(request: Request, engine: Engine, user: CurrentUser) -> Response:
    """Papers first featured in the trending window, ranked by the formula shown on the page."""
    rt = get_runtime(request)
    ranked = trending_service.trending(
        engine, today=rt.today(), window_days=rt.settings.trending_window_days
    )
    voted = community.voted_among(
        engine, user.id if user else None, [t.entry.paper.id for t in ranked.entries]
    )
    return render(request, "trending.html", trending=ranked, voted=voted)


@router.get("/papers/id/{pid}")
def paper_by_id(
    pid: RowId, request: Request, engine: Engine, user: CurrentUser, searcher: Searcher
) -> Response:
    """A paper by internal id: links made before papers had readable URLs move there."""
    page = papers.paper_page(
        engine, papers.resolve_paper_id(engine, pid=pid), viewer=user, searcher=searcher
    )
    canonical = paper_url(page.paper)
    if canonical != request.url.path:
        return RedirectResponse(canonical, status_code=301)
    return render(request, "paper.html", page=page)


@router.get("/papers/t/{slug}")
def paper_by_title(
    slug: str, request: Request, engine: Engine, user: CurrentUser, searcher: Searcher
) -> Response:
    """A paper without an arXiv id (from listing pages), by its title; once resolved to an
    arXiv id, its id page."""
    pid, arxiv_id = papers.paper_for_slug(engine, slug)
    page = papers.paper_page(engine, pid, viewer=user, searcher=searcher)
    canonical = paper_url(page.paper)
    if arxiv_id or canonical != request.url.path:
        return RedirectResponse(canonical, status_code=301)
    return render(request, "paper.html", page=page)


@router.get("/papers/{arxiv_id:path}")
def paper(
    arxiv_id: str, request: Request, engine: Engine, user: CurrentUser, searcher: Searcher
) -> Response:
    """A paper page by arXiv id; other spellings (versions, URLs) redirect to the canonical one.
    With `Accept: text/markdown`, the paper as markdown (as huggingface.co answers)."""
    if "text/markdown" in request.headers.get("accept", ""):
        return api.markdown_response(engine, arxiv_id)
    canonical = canonical_arxiv_id(arxiv_id)
    if canonical is None:
        raise NotFound(f"{arxiv_id!r} is not an arXiv id")
    if canonical != arxiv_id:
        return RedirectResponse(f"/papers/{canonical}", status_code=301)
    pid = papers.resolve_paper_id(engine, arxiv_id=canonical)
    page = papers.paper_page(engine, pid, viewer=user, searcher=searcher)
    return render(request, "paper.html", page=page)


@router.post("/papers/{pid}/vote", dependencies=[Depends(rate_limit("votes"))])
def vote(
    pid: RowId,
    request: Request,
    recommender: Recommender,
    user: SignedIn,
    up: Annotated[bool, Form()] = True,
    next: NextField = None,
) -> Response:
    """Upvote (or withdraw a vote), which also teaches the voter's feed; htmx swaps the
    button, plain forms go back."""
    state = foryou.set_vote(recommender, user_id=user.id, paper_id=pid, up=up)
    if is_htmx(request):
        return render(
            request, "_partials/vote.html", pid=pid, upvotes=state.upvotes, voted=state.voted
        )
    return _back(next)


@router.post("/papers/{pid}/comments", dependencies=[Depends(rate_limit("comments"))])
def comment(
    pid: RowId,
    request: Request,
    engine: Engine,
    user: SignedIn,
    body: Annotated[str, Form()],
    next: NextField = None,
) -> Response:
    """Add a comment; htmx appends it to the list, plain forms go back. A blank or huge
    comment gets its reason beside the form (the paper page again, without JavaScript)."""
    try:
        added = community.add_comment(engine, user_id=user.id, paper_id=pid, body=body)
    except InputError as exc:
        return _comment_refused(request, engine, user, pid, body, str(exc))
    if is_htmx(request):
        return render(request, "_partials/comment.html", comment=added)
    return _back(next)


def _comment_refused(
    request: Request, engine: Engine, user: SignedIn, pid: int, body: str, reason: str
) -> Response:
    message = reason.removeprefix("comment: ").capitalize() + "."
    if is_htmx(request):
        headers = {"HX-Retarget": "#comment-error", "HX-Reswap": "innerHTML"}
        return Response(html.escape(message), media_type="text/html", headers=headers)
    page = papers.paper_page(engine, pid, viewer=user, searcher=get_runtime(request).searcher)
    return render(
        request, "paper.html", status_code=400, page=page, comment_error=message, comment_body=body
    )


@router.post("/papers/{pid}/claim")
def claim(
    pid: RowId, request: Request, engine: Engine, user: SignedIn, next: NextField = None
) -> Response:
    """Claim authorship of a paper (pending until a curator approves)."""
    status = community.claim_authorship(engine, user_id=user.id, paper_id=pid)
    if is_htmx(request):
        return render(request, "_partials/claim.html", pid=pid, claim=status)
    return _back(next)


@router.post("/papers/{pid}/feature")
def feature(
    pid: RowId, engine: Engine, user: Curator, day: Annotated[str, Form()], next: NextField = None
) -> Response:
    """Curators: feature a paper on any date."""
    submissions.feature(engine, pid, parse_date(day), user_id=user.id)
    return _back(next)


@router.post("/papers/{pid}/unfeature")
def unfeature(
    pid: RowId, engine: Engine, user: Curator, day: Annotated[str, Form()], next: NextField = None
) -> Response:
    """Curators: take a paper off a date's feed."""
    submissions.unfeature(engine, pid, parse_date(day))
    return _back(next)


@router.post("/comments/{cid}/hide")
def hide_comment(
    cid: RowId,
    engine: Engine,
    user: Curator,
    hidden: Annotated[bool, Form()] = True,
    next: NextField = None,
) -> Response:
    """Curators: hide a comment (or show it again)."""
    community.hide_comment(engine, cid, hidden=hidden)
    return _back(next)


@router.get("/claims")
def claims(request: Request, engine: Engine, user: Curator) -> Response:
    """Curators: authorship claims waiting for a decision."""
    return render(request, "claims.html", claims=papers.pending_claims_page(engine))


@router.post("/claims/{claim_id}")
def decide_claim(
    claim_id: RowId, engine: Engine, user: Curator, approve: Annotated[bool, Form()]
) -> Response:
    """Curators: approve or reject a claim."""
    community.decide_claim(engine, claim_id, approve=approve, curator_id=user.id)
    return _back("/claims")


SORT_LABELS: dict[SearchSort, str] = {
    "relevance": "Relevance",
    "date": "Newest",
    "upvotes": "Most upvoted",
}
"""The search page's names for the orders (the values are models.SEARCH_SORTS)."""


class SearchForm(BaseModel):
    """The search page's query parameters as the form sends them (empty fields as "")."""

    q: str = ""
    since: str = ""
    until: str = ""
    cat: str = ""
    author: str = ""
    code: bool = False
    featured: bool = False
    sort: SearchSort = "relevance"
    page: int = 1

    def request(self) -> search_service.SearchRequest:
        """The service's request; InputError for a date that cannot be read."""
        author = self.author.strip()
        filters = SearchFilters(
            since=parse_date(self.since) if self.since.strip() else None,
            until=parse_date(self.until) if self.until.strip() else None,
            categories=tuple(form_list(self.cat.replace(" ", ","))),
            authors=(author,) if author else (),
            has_code=self.code,
            featured_only=self.featured,
        )
        return search_service.SearchRequest(
            query=self.q,
            filters=filters,
            sort=self.sort,
            page=self.page,
        )


@router.get("/search")
def search(request: Request, searcher: Searcher, form: Annotated[SearchForm, Query()]) -> Response:
    """Search papers by words and meaning, with filters, order and pages; a query that
    cannot mean anything gets the form back with the reason, never an error page."""
    try:
        wanted = form.request()
        found = search_service.search_papers(searcher, wanted)
    except InputError as exc:
        return render(
            request, "search.html", status_code=400, form=form, sorts=SORT_LABELS, error=str(exc)
        )
    return render(request, "search.html", form=form, sorts=SORT_LABELS, wanted=wanted, found=found)


@router.get("/submit")
def submit_form(request: Request, user: SignedIn) -> Response:
    """The submission form."""
    return render(request, "submit.html")


@router.post("/submit", dependencies=[Depends(rate_limit("submissions"))])
def submit(
    request: Request,
    engine: Engine,
    user: SignedIn,
    fetch: ArxivFetch,
    paper: Annotated[str, Form()],
    background: BackgroundTasks,
    override: Annotated[bool, Form()] = False,
    manual: Annotated[bool, Form()] = False,
    title: Annotated[str, Form()] = "",
    authors: Annotated[str, Form()] = "",
    abstract: Annotated[str, Form()] = "",
) -> Response:
    """Feature a paper on today's feed by arXiv id or URL, under the featuring rules (once
    per paper, recent papers only; curators may override). When arXiv is unreachable the
    page asks for title, authors and abstract. A newly stored paper is embedded after the
    response, so the redirect does not wait."""
    rt = get_runtime(request)
    rules = submissions.Rules(
        today=rt.today(),
        max_age_days=rt.settings.submission_max_age_days,
        curator=user.is_curator,
        override=override,
    )
    by_hand = submissions.ManualPaper(title, form_list(authors), abstract) if manual else None
    form = {"value": paper, "title": title, "authors": authors, "abstract": abstract}
    try:
        done = submissions.submit(
            engine, paper, user_id=user.id, fetch=fetch, rules=rules, manual=by_hand
        )
    except submissions.AlreadyFeatured as exc:
        return render(request, "submit.html", status_code=409, duplicate=exc, **form)
    except submissions.ArxivUnreachable as exc:
        return render(request, "submit.html", status_code=503, offline=exc, **form)
    except submissions.TooOld as exc:
        return render(request, "submit.html", status_code=400, too_old=exc, **form)
    except InputError as exc:
        return render(
            request, "submit.html", status_code=400, error=str(exc), offline=manual, **form
        )
    if done.fetched:
        background.add_task(submissions.make_findable, rt)
    return RedirectResponse(paper_url(done.paper), status_code=303)


@router.get("/u/{name}")
def profile(
    name: str,
    request: Request,
    engine: Engine,
    submitted: PageParam = 1,
    upvoted: PageParam = 1,
) -> Response:
    """A member's submitted, upvoted (a page of each, with when) and authored papers."""
    found = papers.profile(engine, name, submitted_page=submitted, upvoted_page=upvoted)
    return render(request, "profile.html", profile=found)


@router.get("/subscribe")
def subscribe_form(request: Request) -> Response:
    """The digest subscription form."""
    return render(request, "subscribe.html", form={})


@router.post("/subscribe", dependencies=[Depends(rate_limit("auth"))])
def subscribe(
    request: Request,
    email: Annotated[str, Form()],
    cadence: Annotated[str, Form()] = "daily",
    topics: Annotated[str, Form()] = "",
    categories: Annotated[str, Form()] = "",
    authors: Annotated[str, Form()] = "",
) -> Response:
    """Start a subscription (double opt-in); the answer never reveals if one existed."""
    form = {
        "email": email,
        "cadence": cadence,
        "topics": topics,
        "categories": categories,
        "authors": authors,
    }
    interests = subscriptions.Interests(
        cadence=cadence,
        topics=form_list(topics),
        authors=form_list(authors),
        categories=form_list(categories),
    )
    rt = get_runtime(request)
    try:
        done = subscriptions.subscribe(rt, email, interests)
    except InputError as exc:
        return render(request, "subscribe.html", status_code=400, form=form, error=str(exc))
    if done.outcome == "confirmation_queued":
        message = (
            f"Thank you: we will send your confirmation to {email.strip()} shortly. "
            "Your digest starts once you follow its link."
        )
    else:
        message = f"Check {email.strip()} for a confirmation link to start your digest."
    return render(request, "subscribe.html", form={}, message=message)
