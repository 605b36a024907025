"""Submit a paper by arXiv id or URL: find it in the store or fetch it, feature it today.

A paper can be featured once per day (UNIQUE paper+date); a second submission the same
day is refused with a pointer to the existing entry, even when two arrive at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import sqlalchemy as sa

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.errors import InputError, SourceError
from dailypapers.models import Paper, PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.search.sync import semantic_search_enabled
from dailypapers.store import features
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers, paper_id_for_arxiv, upsert_papers

Fetch = Callable[[list[str]], list[PaperRecord]]
"""Looks arXiv ids up live (ArxivApiClient.fetch_ids); injected so tests need no network."""


class AlreadyFeatured(InputError):
    """The paper is already on that day's feed; carries the paper so the page can link it."""

    def __init__(self, paper: Paper, day: date) -> None:
        super().__init__(f"{paper.title!r} is already featured on {day}")
        self.paper = paper
        self.day = day


@dataclass(frozen=True, slots=True)
class Submission:
    """A paper that was just featured, the day it is featured on, and whether the submission
    brought it into the store (it then has no vector yet: see `make_findable`)."""

    paper: Paper
    feature_date: date
    fetched: bool = False


def submit(
    engine: sa.Engine, text: str, *, user_id: int, fetch: Fetch, today: date | None = None
) -> Submission:
    """Feature the paper named by `text` (id or URL) on today's UTC date."""
    parsed = parse_arxiv_id(text)
    if parsed is None:
        raise InputError(f"{text.strip()!r} is not an arXiv id or arXiv/Hugging Face paper URL")
    paper_id, fetched = _find_or_fetch(engine, parsed.id, fetch)
    day = today or datetime.now(UTC).date()
    return replace(feature(engine, paper_id, day, user_id=user_id), fetched=fetched)


def make_findable(rt: Runtime) -> None:
    """Embed what has no vector yet (normally the one paper a submission just fetched, ~50 ms)
    so that it is found by meaning too; nothing until semantic search was enabled with
    `dailypapers reindex`. Keyword search needs no step: the database indexes the paper."""
    if semantic_search_enabled(rt.engine):
        rt.sync_vectors()


def _find_or_fetch(engine: sa.Engine, arxiv_id: str, fetch: Fetch) -> tuple[int, bool]:
    """The paper's id, and whether it had to be fetched (and stored) first."""
    with engine.connect() as conn:
        found = paper_id_for_arxiv(conn, arxiv_id)
    if found is not None:
        return found, False
    try:
        records = fetch([arxiv_id])
    except SourceError as exc:
        raise InputError(f"could not fetch {arxiv_id} from arXiv: {exc}") from None
    if not records:
        raise InputError(f"arXiv has no paper {arxiv_id}")
    with transaction(engine) as conn:
        return upsert_papers(conn, records[:1]).paper_ids[0], True


def feature(engine: sa.Engine, paper_id: int, day: date, *, user_id: int) -> Submission:
    """Put a paper on a day's feed (submitters: today; curators: any day)."""
    with engine.connect() as conn:
        found = get_papers(conn, [paper_id])
    if not found:
        raise InputError(f"no paper with id {paper_id}")
    try:
        with transaction(engine) as conn:
            features.add_feature(conn, paper_id, day, submitted_by=user_id)
    except sa.exc.IntegrityError:
        raise AlreadyFeatured(found[0], day) from None
    return Submission(found[0], day)


def unfeature(engine: sa.Engine, paper_id: int, day: date) -> None:
    """Take a paper off a day's feed (curators)."""
    with transaction(engine) as conn:
        if not features.remove_feature(conn, paper_id, day):
            raise InputError(f"paper {paper_id} is not featured on {day}")
