"""RSS 2.0 and Atom feeds of the daily papers, trending papers and any search (feedgen).

Item links are absolute, built on the configured BASE_URL (never the request's Host
header, which whoever sends the request chooses). RSS has no author field
without an e-mail address, so authors go into `dc:creator` there and `<author>` in Atom.
Text loses the control characters XML forbids (`safety.clean_text`), whatever is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from feedgen.feed import FeedGenerator

from dailypapers import periods
from dailypapers.errors import NotFound
from dailypapers.models import FeedEntry, Paper
from dailypapers.safety import clean_text
from dailypapers.services import collections, feed, hf_api, trending
from dailypapers.web.api import HfErrorRoute, error_response
from dailypapers.web.api_schemas import ErrorBody
from dailypapers.web.deps import CurrentUser, Engine, RowId, Searcher, get_runtime, get_settings
from dailypapers.web.pages import paper_url

Format = Literal["rss", "atom"]
MEDIA_TYPES: dict[Format, str] = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}
TRENDING_ITEMS = 50
SEARCH_ITEMS = 50

router = APIRouter(route_class=HfErrorRoute, tags=["Feeds"], responses={400: {"model": ErrorBody}})


@dataclass(frozen=True, slots=True)
class _Item:
    """A paper in a feed and its time: when it was featured, else when it was published."""

    paper: Paper
    when: datetime | None


@dataclass(frozen=True, slots=True)
class _Channel:
    title: str
    description: str
    items: list[_Item]


def _featured_item(entry: FeedEntry) -> _Item:
    return _Item(entry.paper, entry.submitted_at)


def _daily_channel(engine: Engine, day: str | None) -> _Channel:
    """The papers of one feed day: the given date, else the latest day with papers."""
    shown: date | None = periods.parse_date(day) if day else feed.latest_date(engine)
    entries = feed.featured(engine, shown, shown) if shown else []
    return _Channel(
        f"Daily papers {shown or ''}".strip(),
        "Papers featured on the daily feed, most upvoted first.",
        [_featured_item(e) for e in entries],
    )


def _render(request: Request, channel: _Channel, fmt: Format) -> Response:
    """The channel as RSS 2.0 or Atom, items in the channel's order."""
    base = get_settings(request).public_url
    query = request.url.query
    here = f"{base}{request.url.path}" + (f"?{query}" if query else "")
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(here)
    fg.title(clean_text(channel.title))
    fg.description(clean_text(channel.description))
    fg.link(href=here, rel="self")
    fg.link(href=f"{base}/", rel="alternate")  # last: the one RSS keeps as its <link>
    fg.language("en")
    for item in channel.items:
        _add_entry(fg, item, f"{base}{paper_url(item.paper)}")
    body = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return Response(body, media_type=MEDIA_TYPES[fmt])


def _add_entry(fg: FeedGenerator, item: _Item, link: str) -> None:
    fe = fg.add_entry(order="append")
    fe.id(link)
    fe.guid(link, permalink=True)
    fe.title(clean_text(item.paper.title))
    fe.link(href=link)
    fe.description(clean_text(item.paper.abstract))
    authors = [clean_text(name) for name in item.paper.authors]
    if authors:
        fe.author([{"name": name} for name in authors])
        fe.dc.dc_creator(authors)
    if item.when:
        fe.pubDate(item.when)
        fe.updated(item.when)


DayParam = Annotated[str | None, Query(description="YYYY-MM-DD; default: the latest day.")]


@router.get("/feeds/daily.xml", response_class=Response)
def daily_rss(request: Request, engine: Engine, date: DayParam = None) -> Response:
    """RSS 2.0 of one day's featured papers."""
    return _render(request, _daily_channel(engine, date), "rss")


@router.get("/feeds/daily.atom", response_class=Response)
def daily_atom(request: Request, engine: Engine, date: DayParam = None) -> Response:
    """Atom of one day's featured papers."""
    return _render(request, _daily_channel(engine, date), "atom")


@router.get("/feeds/trending.xml", response_class=Response)
def trending_rss(request: Request, engine: Engine) -> Response:
    """RSS 2.0 of the trending papers (formula on the trending page)."""
    rt = get_runtime(request)
    ranked = trending.trending(
        engine, today=rt.today(), window_days=rt.settings.trending_window_days
    )
    channel = _Channel(
        "Trending papers",
        f"Papers first featured {ranked.start} to {ranked.end}, ranked by {trending.FORMULA}.",
        [_featured_item(t.entry) for t in ranked.entries[:TRENDING_ITEMS]],
    )
    return _render(request, channel, "rss")


@router.get("/feeds/search.xml", response_class=Response)
def search_rss(
    request: Request, engine: Engine, searcher: Searcher, q: Annotated[str, Query(min_length=1)]
) -> Response:
    """RSS 2.0 of a search, so that a query can be followed in a feed reader."""
    hits = hf_api.find_papers(engine, searcher, q, limit=SEARCH_ITEMS)
    items = [_Item(p, f.submitted_at if f else p.published_at) for p, f in hits]
    return _render(request, _Channel(f"Search: {q}", f"Papers matching {q!r}.", items), "rss")


@router.get(
    "/feeds/collections/{cid}.xml", response_class=Response, responses={404: {"model": ErrorBody}}
)
def collection_rss(cid: RowId, request: Request, engine: Engine, user: CurrentUser) -> Response:
    """RSS 2.0 of a collection, newest additions first; a private one is 404 except to its
    owner's own session."""
    try:
        shown = collections.view(engine, cid, viewer_id=user.id if user else None)
    except NotFound as exc:
        return error_response(404, str(exc))
    c = shown.collection
    description = c.description or f"Papers collected by {c.owner}."
    items = [_Item(item.paper, item.added_at) for item in shown.papers]
    return _render(
        request, _Channel(f"{c.name} · collection by {c.owner}", description, items), "rss"
    )
