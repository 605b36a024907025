"""Admin commands: `serve` (the web app under uvicorn) and `user create`, `set-password`,
`set-role`, `sign-out`."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn

from dailypapers.cli.common import console, runtime
from dailypapers.cli.data import load_sample
from dailypapers.config import Settings, load_settings
from dailypapers.digest.scheduler import DigestScheduler
from dailypapers.errors import InputError
from dailypapers.runtime import Runtime
from dailypapers.search.sync import BackgroundSync
from dailypapers.services import accounts, leases, subscriptions
from dailypapers.services.leases import LeaseKeeper
from dailypapers.services.sync import SyncScheduler, parse_sources
from dailypapers.signing import resolve_secret_key

user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach `serve` and `user` to the root app."""
    app.command()(serve)
    app.add_typer(user_app, name="user")


def default_workers(settings: Settings) -> int:
    """One per core, at most 4, on SQLite (pages render in parallel; writes queue on its one
    writer lock); 2 per core, at most 8, on PostgreSQL."""
    if settings.workers:
        return settings.workers
    cores = os.cpu_count() or 1
    if settings.resolved_database_url.startswith("sqlite"):
        return min(4, cores)
    return min(8, 2 * cores)


def app_factory() -> object:
    """The ASGI app for uvicorn's workers: each process builds its own Runtime from the env.

    The web app is imported here, in the workers, so the parent (which only supervises them
    and runs the background jobs) never loads the web stack."""
    from dailypapers.web.app import create_app

    return create_app(Runtime(load_settings()))


def serve(
    host: Annotated[
        str | None, typer.Option(help="Listen address (default 127.0.0.1, or DAILYPAPERS_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Listen port (default 8000, or DAILYPAPERS_PORT).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (default: one per CPU core, at most 4, on SQLite; 2 per "
            "core, at most 8, on PostgreSQL)."
        ),
    ] = None,
) -> None:
    """Run the web app; a new database is created and filled with the bundled sample."""
    with runtime(ensure_schema=False) as rt:
        if rt.ensure_schema():
            load_sample(rt)
        resolve_secret_key(rt.settings)  # refuse an unsafe secret before starting workers
        settings = rt.settings
    n = workers or default_workers(settings)
    host, port = host or settings.host, port or settings.port
    console.print(f"Serving on http://{host}:{port}/ with {n} worker(s)")
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with _background_jobs(settings):
        uvicorn.run(
            "dailypapers.cli.admin:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=n,
            log_level="info",
            proxy_headers=True,
        )


def _exit_cleanly(_signum: int, _frame: object) -> None:
    """SIGTERM (systemd's stop): uvicorn shuts down gracefully, then raises the signal
    again with this handler in place, so the background jobs stop and hand their leases
    back (the default handler would end the process on the spot)."""
    raise SystemExit(0)


@contextmanager
def _background_jobs(settings: Settings) -> Iterator[None]:
    """Vector sync, scheduled syncs and digests in this (parent) process, each under a
    database lease: several web workers, or several nodes on one PostgreSQL, never run two
    of any."""
    rt = Runtime(settings)
    keeper = LeaseKeeper(
        rt.engine, (leases.EMBEDDING, leases.SYNC, leases.DIGESTS), ttl=settings.lease_ttl_seconds
    )
    keeper.start()
    jobs: list[BackgroundSync | DigestScheduler | SyncScheduler] = [
        BackgroundSync(rt, gate=lambda: keeper.holds(leases.EMBEDDING))
    ]
    sources = parse_sources(settings.sync_sources)
    if sources:
        jobs.append(SyncScheduler(rt, node=keeper.holder, gate=lambda: keeper.holds(leases.SYNC)))
        console.print(f"Syncing {' '.join(s.key for s in sources)} (see `dailypapers sync status`)")
    jobs.append(
        DigestScheduler(
            rt,
            gate=lambda: keeper.holds(leases.DIGESTS),
            digests=settings.digest_schedule,
            first=lambda: subscriptions.send_waiting_confirmations(rt),
        )
    )
    if settings.digest_schedule:
        console.print(f"Digests scheduled daily at {settings.digest_hour:02d}:00 UTC")
    for job in jobs:
        job.start()
    try:
        yield
    finally:
        for job in jobs:
            job.stop(timeout=5)
        keeper.stop(timeout=5)
        rt.close()


PasswordOption = Annotated[
    str | None, typer.Option(help="Password (visible in shell history: prefer stdin).")
]
PasswordStdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="Username.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    password: PasswordOption = None,
    password_stdin: PasswordStdinOption = False,
    admin: Annotated[bool, typer.Option("--admin", help="Give the admin role.")] = False,
    curator: Annotated[bool, typer.Option("--curator", help="Give the curator role.")] = False,
) -> None:
    """Create an account (member by default)."""
    secret = _password(password, password_stdin)
    role = "admin" if admin else "curator" if curator else "member"
    with runtime() as rt:
        user = accounts.create_account(rt.engine, name, email=email, password=secret, role=role)
    console.print(f"created {user.role} {user.username} (id {user.id})")


@user_app.command("set-password")
def user_set_password(
    name: Annotated[str, typer.Argument(help="Username or email.")],
    password: PasswordOption = None,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Give an account a new password; every session of it ends."""
    secret = _password(password, password_stdin)
    with runtime() as rt:
        accounts.change_password(rt.engine, _user_id(rt, name), secret)
    console.print(f"new password set for {name}; their sessions have ended")


@user_app.command("set-role")
def user_set_role(
    name: Annotated[str, typer.Argument(help="Username or email.")],
    role: Annotated[str, typer.Argument(help="member, curator or admin.")],
) -> None:
    """Change an account's role (effective on its next request)."""
    with runtime() as rt:
        accounts.set_role(rt.engine, _user_id(rt, name), role)
    console.print(f"{name} is now {role}")


@user_app.command("sign-out")
def user_sign_out(name: Annotated[str, typer.Argument(help="Username or email.")]) -> None:
    """End every session of an account (a stolen cookie stops working)."""
    with runtime() as rt:
        accounts.end_sessions(rt.engine, _user_id(rt, name))
    console.print(f"every session of {name} has ended")


def _user_id(rt: Runtime, name: str) -> int:
    user = accounts.find_user(rt.engine, name)
    if user is None:
        raise InputError(f"no user {name!r}")
    return user.id


def _password(password: str | None, from_stdin: bool) -> str:
    if from_stdin == (password is not None):
        raise InputError("give exactly one of --password and --password-stdin")
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    assert password is not None
    return password
