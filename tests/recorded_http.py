"""A real HTTP server on 127.0.0.1 that replays recorded arXiv responses.

Tests point the production clients at it, so the whole HTTP path (httpx, status codes,
headers, retries) runs for real; only the far end is canned. A route matches a request
when every query parameter it names has the given value; a route answers its scripted
replies in order and then keeps repeating the last one (so "503, then 200" is a script).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

DATA = Path(__file__).parent / "data" / "arxiv"


@dataclass
class Reply:
    """One canned HTTP response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a hanging server)


def fixture_reply(relative: str, *, status: int = 200, **headers: str) -> Reply:
    """A reply whose body is a recorded file under tests/data/arxiv."""
    content_type = "text/html" if relative.endswith(".html") else "application/atom+xml"
    return Reply(status, (DATA / relative).read_bytes(), {"Content-Type": content_type, **headers})


@dataclass
class _Route:
    path: str
    query: dict[str, str]
    replies: list[Reply]

    def matches(self, path: str, query: dict[str, str]) -> bool:
        return path == self.path and all(query.get(k) == v for k, v in self.query.items())

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class RecordedServer:
    """Routes, the request log, and the base URL of the running server."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.routes: list[_Route] = []
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def add(self, path: str, query: dict[str, str], *replies: Reply) -> None:
        """Serve `replies` (in order, the last repeating) to GETs of `path` matching `query`."""
        self.routes.append(_Route(path, query, list(replies)))

    def answer(self, path: str, query: dict[str, str]) -> Reply:
        """The reply for a request, recording it; 404 when no route matches."""
        with self._lock:
            self.requests.append(query)
            for route in self.routes:
                if route.matches(path, query):
                    return route.next_reply()
        return Reply(404, f"no recorded response for {path}?{query}".encode())


def _handler(server: RecordedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            reply = server.answer(parts.path, dict(parse_qsl(parts.query)))
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    return Handler


@pytest.fixture
def recorded_http() -> Iterator[RecordedServer]:
    """A RecordedServer listening on an ephemeral loopback port for one test."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    recorded = RecordedServer(httpd.server_address[1])
    httpd.RequestHandlerClass = _handler(recorded)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield recorded
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


class FakeTime:
    """An injectable clock and sleep: sleeping advances the clock and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
