"""A real uvicorn server on a free loopback port over SQLite with the bundled sample, and a
headless Debian chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from live_server import LiveServer

from dailypapers.cli.data import load_sample
from dailypapers.config import Settings
from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn in a thread, serving the sample data from a private SQLite database."""
    data = tmp_path_factory.mktemp("live")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'db.sqlite3'}")
    runtime = Runtime(settings)
    runtime.ensure_schema()
    load_sample(runtime)
    port = _free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield LiveServer(f"http://127.0.0.1:{port}", runtime)
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()
