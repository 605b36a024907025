"""A real uvicorn server on a free loopback port over SQLite with the bundled sample, and a
headless Debian chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import LiveServer

from dailypapers.cli.data import load_sample
from dailypapers.config import Settings
from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app
from live_uvicorn import serve


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn in a thread, serving the sample data from a private SQLite database."""
    data = tmp_path_factory.mktemp("live")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'db.sqlite3'}")
    runtime = Runtime(settings)
    runtime.ensure_schema()
    load_sample(runtime)
    with serve(create_app(runtime)) as url:
        yield LiveServer(url, runtime)
    runtime.close()
