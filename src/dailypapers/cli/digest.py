"""Digest commands: `digest send|preview` and `subscribers add|export|delete|waiting`.

Output names subscriptions by id, never by address, except where the operator typed the
address themselves (export).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dailypapers.cli.common import console, print_json, runtime
from dailypapers.digest.run import RunReport, preview, send_digests
from dailypapers.errors import InputError
from dailypapers.periods import parse_date
from dailypapers.services import subscriptions as service
from dailypapers.store.subscriptions import CADENCES

digest_app = typer.Typer(help="Send and preview email digests.", no_args_is_help=True)
subscribers_app = typer.Typer(help="Manage digest subscribers.", no_args_is_help=True)

DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Last day of the period, YYYY-MM-DD (default: today, UTC)."),
]


def register(app: typer.Typer) -> None:
    """Attach the digest and subscriber commands to the root app."""
    app.add_typer(digest_app, name="digest")
    app.add_typer(subscribers_app, name="subscribers")


def _day(text: str | None) -> date:
    return parse_date(text) if text else datetime.now(UTC).date()


def _cadence(value: str) -> str:
    if value not in CADENCES:
        raise InputError(f"--cadence must be one of {', '.join(CADENCES)}")
    return value


@digest_app.command("send")
def send(
    cadence: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
    day: DateOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compose and render, send and record nothing.")
    ] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="Only this subscriber's digest.", metavar="EMAIL")
    ] = None,
) -> None:
    """Send the period's digests to active subscribers; safe to re-run (never sends twice)."""
    only = service.normalize_email(to) if to else None
    with runtime() as rt:
        report = send_digests(rt, _cadence(cadence), _day(day), only_email=only, dry_run=dry_run)
    _print_report(report, dry_run=dry_run)


def _print_report(report: RunReport, *, dry_run: bool) -> None:
    title = "Digest dry run (nothing sent)" if dry_run else "Digest run"
    table = Table(title=title, title_justify="left")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    rows = {
        "subscribers": report.subscribers,
        "with new papers": report.composed,
        "nothing new": report.empty,
        "sent": report.sent,
        "already sent or in progress": report.skipped,
        "deferred (retry later)": report.deferred,
        "failed": report.failed,
        "outcome unknown": report.uncertain,
        "paused": report.paused,
    }
    for name, n in rows.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


@digest_app.command("preview")
def preview_cmd(
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
    day: DateOption = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the HTML.")] = Path(
        "digest-preview.html"
    ),
) -> None:
    """Write the HTML digest a subscriber would get (nothing is sent or recorded)."""
    with runtime() as rt:
        digest, rendered = preview(rt, service.normalize_email(email), _day(day))
    if digest.is_empty:
        console.print("nothing new for this subscriber in that period: no digest would be sent")
        return
    output.write_text(rendered.html, encoding="utf-8")
    console.print(f"{rendered.subject} → {output}", highlight=False)


@subscribers_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
    cadence: Annotated[str, typer.Option(help="daily or weekly.")] = "daily",
    topic: Annotated[list[str] | None, typer.Option("--topic", help="A topic (repeat).")] = None,
    author: Annotated[
        list[str] | None, typer.Option("--author", help="An author to follow (repeat).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="An arXiv category (repeat).")
    ] = None,
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="Activate without a confirmation email. Only for an operator importing an "
            "existing list whose members already consented to these emails.",
        ),
    ] = False,
) -> None:
    """Subscribe an address; it gets a confirmation email unless --confirmed."""
    interests = service.Interests(_cadence(cadence), topic or [], author or [], category or [])
    with runtime() as rt:
        if confirmed:
            sub_id = service.add_confirmed(rt, email, interests).id
            console.print(f"subscription {sub_id} is active")
            return
        result = service.subscribe(rt, email, interests)
    console.print(f"subscription {result.subscription_id}: {result.outcome.replace('_', ' ')}")


@subscribers_app.command("export")
def export(email: Annotated[str, typer.Argument(help="The subscriber's address.")]) -> None:
    """Print everything stored about an address as JSON."""
    with runtime() as rt:
        print_json(service.export(rt, email))


@subscribers_app.command("delete")
def delete(email: Annotated[str, typer.Argument(help="The subscriber's address.")]) -> None:
    """Erase an address and its delivery history."""
    with runtime() as rt:
        found = service.delete(rt, email)
    console.print("deleted" if found else "no subscription for that address")


@subscribers_app.command("waiting")
def waiting(
    send_now: Annotated[
        bool, typer.Option("--send", help="Send them now (links use DAILYPAPERS_BASE_URL).")
    ] = False,
) -> None:
    """List the confirmations waiting in the outbox (mail was down when they were asked
    for); `serve` sends them by itself once SMTP works."""
    with runtime() as rt:
        if send_now:
            sent, left = service.send_waiting_confirmations(rt)
            console.print(f"sent {sent}, still waiting {left}")
            return
        rows = service.waiting_confirmations(rt)
    table = Table(title=f"Confirmations waiting ({len(rows)})", title_justify="left")
    for col in ("subscription", "asked at"):
        table.add_column(col)
    for w in rows:
        table.add_row(str(w.subscription_id), f"{w.requested_at:%Y-%m-%d %H:%M} UTC")
    console.print(table)
