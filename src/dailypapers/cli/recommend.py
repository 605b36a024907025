"""`dailypapers recommend USER`: the reader's /for-you list for scripts."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from dailypapers.cli.common import console, print_json, runtime
from dailypapers.errors import InputError
from dailypapers.periods import parse_date
from dailypapers.recommend.reader import Recommendation
from dailypapers.services import accounts, foryou


def register(app: typer.Typer) -> None:
    """Attach the command to the root app."""
    app.command()(recommend)


def recommend(
    user: Annotated[str, typer.Argument(help="Username or email of the reader.")],
    since: Annotated[
        str | None,
        typer.Option(
            help="Papers featured or added since this day, YYYY-MM-DD (default: the "
            "latest feed day)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many papers.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Papers ranked for one reader by their model, each with the reason shown on /for-you."""
    with runtime() as rt:
        found = accounts.find_user(rt.engine, user)
        if found is None:
            raise InputError(f"no user {user!r}")
        day = parse_date(since) if since else None
        ranked = foryou.recommend(rt.recommender, user_id=found.id, since=day, limit=limit)
    if as_json:
        print_json([_summary(r) for r in ranked])
        return
    table = Table(title=f"For {found.username} ({len(ranked)})", title_justify="left")
    for col in ("score", "arXiv", "title", "why"):
        table.add_column(col, overflow="fold")
    for r in ranked:
        table.add_row(f"{r.score:.2f}", r.paper.arxiv_id or "", r.paper.title, r.reason)
    console.print(table)


def _summary(r: Recommendation) -> dict[str, Any]:
    p = r.paper
    return {
        "paper_id": p.id,
        "arxiv_id": p.arxiv_id,
        "title": p.title,
        "authors": p.authors,
        "published_at": p.published_at,
        "upvotes": p.upvotes,
        "score": round(r.score, 4),
        "reason": r.reason,
    }
