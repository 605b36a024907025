"""Shared fixtures: settings on tmp_path and a `database_url` over real SQLite and PostgreSQL.

PostgreSQL comes from the `pgserver` wheel, started once per session on a Unix socket
(no server is assumed to be running); each test gets a database of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dailypapers.config import Settings, load_settings
from dailypapers.runtime import Runtime

DATA = Path(__file__).parent / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, driven by Playwright (never `playwright install`).

    One per session: Playwright's sync API keeps an event loop for as long as it runs,
    so two of them cannot be open one after the other in the same thread.
    """
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real PostgreSQL (with pgvector) for the whole session."""
    pgserver = pytest.importorskip("pgserver")
    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name};")
    yield server.get_uri(name).replace("postgresql://", "postgresql+psycopg://", 1)
    server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")


@pytest.fixture
def settings(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose data directory and database are private to the test."""
    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", database_url)
    monkeypatch.delenv("DAILYPAPERS_CONFIG", raising=False)
    return load_settings()


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    """A Runtime on a freshly migrated database."""
    runtime = Runtime(settings)
    runtime.ensure_schema()
    yield runtime
    runtime.close()
