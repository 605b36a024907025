"""Data commands: init, import, fetch arxiv|oai|hf, papers, trending, stats, db upgrade|backup."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table

from dailypapers.cli.common import byte_progress, console, count_progress, print_json, runtime
from dailypapers.cli.search import after_import
from dailypapers.errors import InputError, SourceError
from dailypapers.ingest.bundled import SAMPLE_VECTORS, sample_files
from dailypapers.ingest.detect import READERS
from dailypapers.ingest.hf_feed import mirror
from dailypapers.ingest.loader import import_file, load
from dailypapers.models import FeedEntry, ImportReport, SourceItem
from dailypapers.periods import Period, parse_date, period_of
from dailypapers.runtime import Runtime
from dailypapers.services import feed, trending
from dailypapers.store import migrate
from dailypapers.store.database import backup_sqlite

fetch_app = typer.Typer(
    help="Fetch papers live from arXiv or a Hugging Face-compatible daily feed.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

FORMATS = sorted(READERS)


def register(app: typer.Typer) -> None:
    """Attach the data commands to the root app."""
    app.command()(init)
    app.command("import")(import_)
    app.command()(papers)
    app.command("trending")(trending_)
    app.command()(stats)
    app.add_typer(fetch_app, name="fetch")
    app.add_typer(db_app, name="db")


def init(
    no_sample: Annotated[
        bool, typer.Option("--no-sample", help="Start empty: no demo data (for a real instance).")
    ] = False,
) -> None:
    """Create the data directory and database; load the bundled sample unless --no-sample."""
    with runtime() as rt:
        rt.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if no_sample:
            console.print(f"Initialised an empty instance in {rt.settings.data_dir}")
            return
        load_sample(rt)
        after_import(rt)


def load_sample(rt: Runtime) -> ImportReport:
    """Import the bundled sample and its precomputed vectors (idempotent)."""
    total = ImportReport()
    for path in sample_files():
        total.merge(_import_one(rt, path, fmt=None, strict=False))
    _print_report(total, title="Bundled sample")
    if rt.seed_vectors(SAMPLE_VECTORS):
        console.print("search: the sample's precomputed vectors are loaded")
    return total


def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files to import (.gz is read directly).")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(FORMATS)}; detected when omitted."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first malformed record.")
    ] = False,
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--no-bulk",
            help="Use the bulk path (parse in a second process, write in large batches); "
            "default: for files of at least DAILYPAPERS_IMPORT_BULK_MIN_BYTES.",
        ),
    ] = None,
) -> None:
    """Import paper records from files; safe to run again (it converges, never duplicates)."""
    if fmt is not None and fmt not in READERS:
        raise InputError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    for path in paths:
        if path.is_dir():
            raise InputError(f"{path}: is a directory; name the files in it (e.g. {path}/*)")
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    with runtime() as rt:
        total = ImportReport()
        for path in paths:
            total.merge(_import_one(rt, path, fmt=fmt, strict=strict, bulk=bulk))
        _print_report(total, title="Import")
        after_import(rt)


def _import_one(
    rt: Runtime, path: Path, *, fmt: str | None, strict: bool, bulk: bool | None = None
) -> ImportReport:
    size = path.stat().st_size
    if bulk is None:
        bulk = size >= rt.settings.import_bulk_min_bytes
    settings = rt.settings
    with byte_progress() as progress:
        task = progress.add_task(path.name + (" (bulk)" if bulk else ""), total=size)
        return import_file(
            rt.engine,
            path,
            fmt=fmt,
            strict=strict,
            batch_size=settings.import_bulk_batch_size if bulk else settings.import_batch_size,
            on_bytes=lambda n: progress.advance(task, n),
            bulk=bulk,
        )


def _load_live(rt: Runtime, items: Iterable[SourceItem], label: str) -> None:
    with count_progress() as progress:
        task = progress.add_task(label, total=None)
        report = load(
            rt.engine,
            _counted(items, lambda: progress.advance(task, 1)),
            batch_size=rt.settings.import_batch_size,
        )
    _print_report(report, title=label)
    after_import(rt)


def _counted(items: Iterable[SourceItem], tick: Callable[[], None]) -> Iterator[SourceItem]:
    for item in items:
        tick()
        yield item


DateOption = Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")]
UntilOption = Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today).")]


@fetch_app.command("arxiv")
def fetch_arxiv(
    category: Annotated[str, typer.Option(help="arXiv category, e.g. cs.CL.")],
    since: DateOption,
    until: UntilOption = None,
) -> None:
    """Fetch a category's new submissions from the arXiv API (3 s between requests)."""
    start, end = _window(since, until)
    with runtime() as rt, rt.arxiv_client() as client:
        _load_live(rt, client.search(category, start, end), f"arXiv {category}")


@fetch_app.command("oai")
def fetch_oai(
    set_spec: Annotated[str, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th.")],
    since: DateOption,
    until: UntilOption = None,
) -> None:
    """Harvest arXiv metadata over OAI-PMH, following resumption tokens."""
    start, end = _window(since, until)
    with runtime() as rt, rt.oai_client() as client:
        _load_live(rt, client.harvest(set_spec, start, end), f"OAI {set_spec}")


@fetch_app.command("hf")
def fetch_hf(
    since: DateOption,
    until: UntilOption = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="Base URL of the feed (default DAILYPAPERS_HF_API_URL, https://huggingface.co);"
            " another dailypapers instance works too."
        ),
    ] = None,
) -> None:
    """Mirror a daily feed day by day, as `import` does the HF archive files; safe to rerun."""
    start, end = _window(since, until)
    _check_endpoint(endpoint)
    with runtime() as rt, rt.hf_feed_client(endpoint) as client:
        with count_progress() as progress:
            task = progress.add_task(f"daily feed {client.endpoint}", total=None)
            result = mirror(
                rt.engine,
                client,
                start,
                end,
                batch_size=rt.settings.import_batch_size,
                on_page=lambda _day, n: progress.advance(task, n),
            )
        _print_report(result.report, title=f"Daily feed, {start} … {end}")
        console.print(f"days complete: {result.days}", highlight=False)
        after_import(rt)
    if result.error:
        raise SourceError(f"{result.error} (stopped; the days before it are imported)")


def _check_endpoint(endpoint: str | None) -> None:
    if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
        raise InputError(f"--endpoint {endpoint!r}: give an http(s) URL")


def _window(since: str, until: str | None) -> tuple[date, date]:
    start = parse_date(since)
    end = parse_date(until) if until else datetime.now(UTC).date()
    if end < start:
        raise InputError(f"--until {end} is before --since {start}")
    return start, end


def papers(
    day: Annotated[str | None, typer.Option("--date", help="A day, YYYY-MM-DD.")] = None,
    week: Annotated[str | None, typer.Option(help="An ISO week, YYYY-Www.")] = None,
    month: Annotated[str | None, typer.Option(help="A month, YYYY-MM.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List featured papers, best first (default: the latest day with papers)."""
    chosen = period_of(day=day, week=week, month=month)
    with runtime() as rt:
        start, end = _period(rt, chosen)
        entries = feed.featured(rt.engine, start, end)
    if as_json:
        print_json([feed.entry_summary(e) for e in entries])
    else:
        _print_entries(entries, start, end)


def _period(rt: Runtime, chosen: Period | None) -> tuple[date, date]:
    """The chosen period's dates, else the latest day with papers (today on an empty store)."""
    if chosen is not None:
        return chosen.start, chosen.end
    latest = feed.latest_date(rt.engine, on_or_before=rt.today()) or rt.today()
    return latest, latest


def trending_(
    limit: Annotated[int, typer.Option(min=1, help="Papers to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List trending papers: first featured in the trending window, by the trending score."""
    with runtime() as rt:
        ranked = trending.trending(
            rt.engine, today=rt.today(), window_days=rt.settings.trending_window_days
        )
    shown = ranked.entries[:limit]
    if as_json:
        print_json(
            [
                {**feed.entry_summary(t.entry), "age_days": t.age_days, "score": t.score}
                for t in shown
            ]
        )
        return
    stale = " (nothing newer: the most recent window with papers)" if ranked.stale else ""
    title = f"Trending, first featured {ranked.start} … {ranked.end}{stale}"
    table = Table(title=title, caption=trending.FORMULA, title_justify="left")
    for col in ("score", "age", "▲", "arXiv", "title"):
        table.add_column(col, overflow="fold")
    for t in shown:
        p = t.entry.paper
        table.add_row(
            f"{t.score:.2f}", f"{t.age_days} d", str(p.upvotes), p.arxiv_id or "", p.title
        )
    console.print(table)


def _print_entries(entries: list[FeedEntry], start: date, end: date) -> None:
    span = str(start) if start == end else f"{start} … {end}"
    table = Table(title=f"Featured papers, {span} ({len(entries)})", title_justify="left")
    for col in ("▲", "arXiv", "title", "first author", "submitter"):
        table.add_column(col, overflow="fold")
    for e in entries:
        p = e.paper
        author = p.authors[0] + (" et al." if len(p.authors) > 1 else "") if p.authors else ""
        table.add_row(
            str(p.upvotes), p.arxiv_id or "", p.title, author, e.submitted_by or "", style=None
        )
    console.print(table)


def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Counts of papers, featured entries, users and votes."""
    with runtime() as rt:
        counts = feed.counts(rt.engine)
    if as_json:
        print_json(counts)
        return
    table = Table(title="dailypapers", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to this version's schema, keeping its data."""
    with runtime(ensure_schema=False) as rt:
        before = migrate.current_revision(rt.engine)
        migrate.upgrade(rt.engine)
        after = migrate.current_revision(rt.engine)
    console.print(f"database schema: {before or 'empty'} → {after}")


@db_app.command("backup")
def db_backup(
    target: Annotated[Path, typer.Argument(help="New file to write the copy to.")],
) -> None:
    """Copy the SQLite database consistently while `serve` keeps running."""
    with runtime() as rt:
        backup_sqlite(rt.engine, target)
    console.print(f"backed up to {target} ({target.stat().st_size:,} bytes)")


def _print_report(report: ImportReport, *, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for col in ("inserted", "updated", "unchanged", "rejected"):
        table.add_column(col, justify="right")
    table.add_row(
        *(f"{n:,}" for n in (report.inserted, report.updated, report.unchanged)),
        f"{len(report.rejected):,}",
    )
    console.print(table)
    for r in report.rejected[:20]:
        console.print(f"  rejected {r.location}: {r.reason}", highlight=False)
    if len(report.rejected) > 20:
        console.print(f"  … and {len(report.rejected) - 20:,} more rejected records")
