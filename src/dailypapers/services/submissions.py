"""Submit a paper by arXiv id or URL: find it in the store or fetch it, feature it today.

The rules (curators may override both): a paper is featured once, ever; a second submission
is refused with a pointer to the existing entry (two at once on the same day are caught by
the UNIQUE paper+date constraint). A paper published more than `max_age_days` ago is refused
(Hugging Face's rule is 14 days). When arXiv cannot be reached, the submitter may give the
title, authors and abstract by hand (`ManualPaper`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from dailypapers.arxiv_ids import parse_arxiv_id
from dailypapers.errors import InputError, SourceError
from dailypapers.models import Paper, PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.search.sync import DEFAULT_BATCH, pending, semantic_search_enabled
from dailypapers.store import features
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers, paper_id_for_arxiv, upsert_papers

Fetch = Callable[[list[str]], list[PaperRecord]]
"""Looks arXiv ids up live (ArxivApiClient.fetch_ids); injected so tests need no network."""


class AlreadyFeatured(InputError):
    """The paper was already featured (on `day`); carries the paper so the page can link it."""

    def __init__(self, paper: Paper, day: date) -> None:
        super().__init__(f"{paper.title!r} was already featured on {day}")
        self.paper = paper
        self.day = day


class TooOld(InputError):
    """The paper was published longer ago than submissions allow."""

    def __init__(self, paper: Paper, published: date, max_age_days: int) -> None:
        super().__init__(
            f"{paper.title!r} was published on {published}, more than {max_age_days} days "
            "ago; only recent papers can be submitted (a curator can still feature it)"
        )
        self.paper = paper


class ArxivUnreachable(InputError):
    """arXiv could not be asked about the paper; the submitter may enter it by hand."""

    def __init__(self, arxiv_id: str) -> None:
        super().__init__(
            f"We could not reach arXiv to look up {arxiv_id} just now. Try again later, "
            "or enter the paper's title, authors and abstract below."
        )
        self.arxiv_id = arxiv_id


@dataclass(frozen=True, slots=True)
class ManualPaper:
    """A paper entered by hand while arXiv is unreachable."""

    title: str
    authors: list[str]
    abstract: str

    def record(self, arxiv_id: str) -> PaperRecord:
        """The record to store; InputError naming the first missing field."""
        for name in ("title", "abstract"):
            if not getattr(self, name).strip():
                raise InputError(f"{name}: required when entering a paper by hand")
        if not self.authors:
            raise InputError("authors: give at least one, separated by commas")
        return PaperRecord(
            title=" ".join(self.title.split()),
            abstract=self.abstract.strip(),
            authors=self.authors,
            arxiv_id=arxiv_id,
        )


@dataclass(frozen=True, slots=True)
class Rules:
    """Who submits and what is allowed: `curator` lifts both rules when `override` is set."""

    today: date
    max_age_days: int = 14
    curator: bool = False
    override: bool = False

    @property
    def lifted(self) -> bool:
        """Whether this submission may feature an old or already featured paper."""
        return self.curator and self.override


@dataclass(frozen=True, slots=True)
class Submission:
    """A paper that was just featured, the day it is featured on, and whether the submission
    brought it into the store (it then has no vector yet: see `make_findable`)."""

    paper: Paper
    feature_date: date
    fetched: bool = False


def submit(
    engine: sa.Engine,
    text: str,
    *,
    user_id: int,
    fetch: Fetch,
    rules: Rules,
    manual: ManualPaper | None = None,
) -> Submission:
    """Feature the paper named by `text` (id or URL) on today's UTC date, under the rules."""
    parsed = parse_arxiv_id(text)
    if parsed is None:
        raise InputError(f"{text.strip()!r} is not an arXiv id or arXiv/Hugging Face paper URL")
    paper_id, fetched = _find_or_fetch(engine, parsed.id, fetch, manual)
    with engine.connect() as conn:
        paper = get_papers(conn, [paper_id])[0]
        featured = features.feature_dates(conn, paper_id)
    if not rules.lifted:
        if featured:
            raise AlreadyFeatured(paper, featured[0])
        _check_age(paper, rules)
    return replace(feature(engine, paper_id, rules.today, user_id=user_id), fetched=fetched)


def _check_age(paper: Paper, rules: Rules) -> None:
    """Refuse a paper published more than `max_age_days` before today (0: no limit; papers
    entered by hand have no known date and pass)."""
    if not rules.max_age_days or paper.published_at is None:
        return
    published = paper.published_at.date()
    if (rules.today - published).days > rules.max_age_days:
        raise TooOld(paper, published, rules.max_age_days)


def make_findable(rt: Runtime) -> None:
    """Embed what has no vector yet (normally the one paper a submission just fetched, ~50 ms)
    so that it is found by meaning too; nothing until semantic search was enabled with
    `dailypapers reindex`. Keyword search needs no step: the database indexes the paper.

    Nothing either when more than one batch waits, as after a model change (every paper is
    re-embedded in the background then): a request must not embed the whole store."""
    if semantic_search_enabled(rt.engine) and pending(rt.engine, rt.embedding_model_id) <= (
        DEFAULT_BATCH
    ):
        rt.sync_vectors()


def _find_or_fetch(
    engine: sa.Engine, arxiv_id: str, fetch: Fetch, manual: ManualPaper | None
) -> tuple[int, bool]:
    """The paper's id, and whether it had to be stored first (fetched, or entered by hand)."""
    with engine.connect() as conn:
        found = paper_id_for_arxiv(conn, arxiv_id)
    if found is not None:
        return found, False
    if manual is not None:
        records = [manual.record(arxiv_id)]
    else:
        try:
            records = fetch([arxiv_id])
        except (SourceError, OSError):
            raise ArxivUnreachable(arxiv_id) from None
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
