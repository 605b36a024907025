"""Typer root: global error handling (one clear line, non-zero exit, never a traceback)."""

from __future__ import annotations

import sys

import sqlalchemy as sa
import typer
from rich.console import Console

from dailypapers.cli import admin, data, digest, recommend, search, sync
from dailypapers.errors import DailyPapersError

app = typer.Typer(
    help="dailypapers: a self-hostable hub for discovering research papers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data.register(app)
admin.register(app)
digest.register(app)
search.register(app)
recommend.register(app)
sync.register(app)

_err = Console(stderr=True)


def main() -> None:
    """Console entry point: run the CLI, turning known failures into one line on stderr."""
    try:
        app()
    except DailyPapersError as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except sa.exc.OperationalError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        _err.print(f"[bold red]error:[/] database: {detail}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        _err.print("interrupted; run the same command again to resume")
        sys.exit(130)
