"""`dailypapers sync` (one run of the due sources, for cron) and `dailypapers sync status`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from dailypapers.cli.common import console, print_json, runtime
from dailypapers.cli.search import after_import
from dailypapers.errors import ConfigError, SourceError
from dailypapers.services import leases
from dailypapers.services import sync as sync_service
from dailypapers.services.leases import node_name
from dailypapers.store.sync_runs import SyncRun

sync_app = typer.Typer(
    help="Keep the configured sources (DAILYPAPERS_SYNC_SOURCES) current.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Attach `sync` and `sync status` to the root app."""
    app.add_typer(sync_app, name="sync")


@sync_app.callback()
def sync(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Run every source now, due or not.")
    ] = False,
) -> None:
    """Run the sources that are due (all with --force); each run is recorded."""
    if ctx.invoked_subcommand is not None:
        return
    with runtime() as rt:
        if not sync_service.parse_sources(rt.settings.sync_sources):
            raise ConfigError(
                'no sync sources: set DAILYPAPERS_SYNC_SOURCES, e.g. "hf arxiv:cs.CL,cs.LG"'
            )
        node = node_name()
        with leases.hold(rt.engine, leases.SYNC, ttl=rt.settings.lease_ttl_seconds, holder=node):
            runs = sync_service.run_due(rt, node=node, force=force)
        if not runs:
            console.print("nothing is due; `dailypapers sync status` says when (or --force)")
            return
        _print_runs(runs, title="Sync")
        if any(r.inserted or r.updated for r in runs):
            after_import(rt)
    failed = [r for r in runs if r.status != "ok"]
    if failed:
        raise SourceError(f"sync of {failed[0].source} stopped: {failed[0].error}")


@sync_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(help="How many recent runs to list.")] = 10,
) -> None:
    """The configured sources with their last and next run, then the latest runs."""
    with runtime() as rt:
        sources = sync_service.status(rt)
        runs = sync_service.recent_runs(rt, limit)
    if as_json:
        print_json(
            {
                "sources": [
                    {"source": s.source.key, "last_run": s.last, "next_due": s.due or "now"}
                    for s in sources
                ],
                "runs": runs,
            }
        )
        return
    table = Table(title="Sync sources", title_justify="left")
    for col in ("source", "last run", "status", "next due"):
        table.add_column(col)
    for s in sources:
        last = s.last
        table.add_row(
            s.source.key,
            _when(last.started_at) if last else "never",
            last.status if last else "",
            _when(s.due) if s.due else "now",
        )
    if not sources:
        console.print("no sync sources configured (DAILYPAPERS_SYNC_SOURCES is empty)")
    else:
        console.print(table)
    _print_runs(runs, title="Latest runs")


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _print_runs(runs: list[SyncRun], *, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for col in ("source", "started", "took", "status", "new", "updated", "same", "rejected",
                "through", "node"):  # fmt: skip
        table.add_column(col, justify="right" if col in ("new", "updated", "same") else "left")
    for r in runs:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f} s" if r.finished_at else ""
        table.add_row(
            r.source,
            _when(r.started_at),
            took,
            r.status,
            str(r.inserted),
            str(r.updated),
            str(r.unchanged),
            str(r.rejected),
            str(r.fetched_until or ""),
            r.node,
        )
    console.print(table)
    for r in runs:
        if r.error:
            console.print(f"  {r.source} {_when(r.started_at)}: {r.error}", highlight=False)
