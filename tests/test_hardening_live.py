"""Over real HTTP (uvicorn on loopback): request bodies are capped and refused with 413
before they are read, whether announced or streamed in chunks (issue 11, item 3)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from dailypapers.config import Settings
from dailypapers.runtime import Runtime
from dailypapers.web.app import create_app
from live_uvicorn import serve

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("live")
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'db.sqlite3'}",
        max_body_bytes=LIMIT,
        rate_limit_auth_per_minute=0,
    )
    runtime = Runtime(settings)
    runtime.ensure_schema()
    with serve(create_app(runtime)) as url:
        yield url
    runtime.close()


def _exchange(url: str, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request head, then body pieces until the server answers or hangs up;
    returns what it answered and how many body bytes got out before that."""
    port = int(url.rsplit(":", 1)[1])
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        for chunk in chunks:
            try:
                answer = sock.recv(65536)
                if answer:
                    return answer, sent
            except BlockingIOError:
                pass
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.setblocking(True)
        return _read_all(sock), sent


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (it does after a 413)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return received


def _form_chunks(total: int) -> Iterator[bytes]:
    piece = b"login=" + b"a" * 16_000
    while total > 0:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        total -= len(piece)
    yield b"0\r\n\r\n"


def test_announced_oversize_body_is_refused_unread(server: str) -> None:
    head = (
        b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000000000\r\n\r\n"
    )
    answer, sent = _exchange(server, head, iter([]))  # no body byte sent: answered anyway
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent == 0 and b"limited to 65536 bytes" in answer


def test_chunked_oversize_body_is_refused(server: str) -> None:
    """No Content-Length: the cap counts the chunks as they arrive (here 8 x 16 kB > 64 KiB)
    and answers 413 before the body ends."""
    head = (
        b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"".join(list(_form_chunks(LIMIT + 64_000))[:-1]))  # no last chunk
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_normal_form_still_works(server: str) -> None:
    response = httpx.post(f"{server}/signin", data={"login": "x", "password": "y"})
    assert response.status_code == 403  # reached the CSRF check, not the body cap
