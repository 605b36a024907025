"""Open import files and read JSON records from them, safely and as a stream.

Import files can be many GB (the full arXiv dump), gzipped or not, and come from
anywhere, so: gzip is detected by its magic bytes rather than the name, bytes read are
reported for a progress bar, no line or record is ever held beyond a fixed cap, and
low-level failures (truncated gzip, bad encoding, missing file) become one-line
`InputError`s naming the file, never tracebacks.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from dailypapers.errors import InputError
from dailypapers.models import Rejection

GZIP_MAGIC = b"\x1f\x8b"
MAX_LINE_CHARS = 8 * 1024 * 1024
"""Longest line (and largest JSON array element) read; longer ones are rejected unread."""
_CHUNK_CHARS = 64 * 1024
TOO_DEEP = "JSON nested too deeply to be a paper record"

ByteCallback = Callable[[int], None]


class _CountingReader(io.RawIOBase):
    """Passes reads through, reporting raw bytes and remembering decoded-stream positions.

    Wrapped *under* gzip it reports compressed bytes (progress against file size); wrapped
    *over* it, it records offsets and newlines of the decoded bytes so a decode error can be
    placed on its line.
    """

    def __init__(self, raw: io.BufferedIOBase, on_bytes: ByteCallback | None) -> None:
        self._raw = raw
        self._on_bytes = on_bytes
        self.offset = 0
        self.newlines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.offset += n
        self.newlines += data.count(b"\n")
        if self._on_bytes and n:
            self._on_bytes(n)
        return n


@contextlib.contextmanager
def open_text(path: Path, *, on_bytes: ByteCallback | None = None) -> Iterator[TextIO]:
    """Open a plain or gzipped UTF-8 file as text; errors while reading become InputError.

    Lines keep their original endings (`newline=""`) so CSV quoting and abstracts stay
    exact; a UTF-8 byte-order mark is skipped.
    """
    name = path.name
    raw = _open_binary(path)
    with raw:
        compressed = raw.peek(2)[:2] == GZIP_MAGIC
        counted = io.BufferedReader(_CountingReader(raw, on_bytes))
        decoded = gzip.GzipFile(fileobj=counted, mode="rb") if compressed else counted
        lines = _CountingReader(decoded, None)
        buffered = io.BufferedReader(lines)
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
        try:
            _refuse_empty(buffered, name)
            yield text
        except UnicodeDecodeError as exc:
            raise InputError(_decode_message(name, exc, lines)) from None
        except EOFError:
            raise InputError(f"{name}: truncated gzip stream (file ends early)") from None
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise InputError(f"{name}: corrupt gzip data ({exc})") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def _open_binary(path: Path) -> io.BufferedReader:
    """Open for reading, turning the usual OS failures into messages that name the file."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None


def _refuse_empty(decoded: io.BufferedReader[_CountingReader], name: str) -> None:
    """An empty file is almost always a mistake (failed download), so say so up front."""
    if not decoded.peek(1):
        raise InputError(f"{name}: empty file")


def _decode_message(name: str, exc: UnicodeDecodeError, lines: _CountingReader) -> str:
    """Place the bad byte: line = newlines before the failing chunk + those within it."""
    chunk = exc.object
    chunk_start = lines.offset - len(chunk)
    line = lines.newlines - chunk.count(b"\n") + chunk[: exc.start].count(b"\n") + 1
    byte = chunk[exc.start]
    return (
        f"{name}:{line}: not UTF-8 text (byte 0x{byte:02x} at offset {chunk_start + exc.start});"
        " re-save the file as UTF-8"
    )


def iter_lines(
    stream: TextIO, name: str, *, start: int = 0
) -> Iterator[tuple[int, str] | Rejection]:
    """Number the lines of a stream, rejecting (without keeping) any over MAX_LINE_CHARS.

    `start` is the number of lines already consumed, so numbers stay true to the file.
    """
    lineno = start
    while True:
        line = stream.readline(MAX_LINE_CHARS)
        if not line:
            return
        lineno += 1
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            _skip_rest_of_line(stream)
            yield Rejection(f"{name}:{lineno}", f"line longer than {MAX_LINE_CHARS} characters")
        else:
            yield lineno, line


def _skip_rest_of_line(stream: TextIO) -> None:
    """Read past the end of an overlong line in bounded pieces."""
    while True:
        piece = stream.readline(MAX_LINE_CHARS)
        if not piece or piece.endswith("\n"):
            return


def iter_json_lines(stream: TextIO, name: str) -> Iterator[tuple[str, Any] | Rejection]:
    """Yield (location, value) per non-blank JSON line, or a Rejection for a bad one.

    A file that opens with `[` is a JSON array; reading it line by line would reject every
    line, so it is refused as a whole with a hint instead.
    """
    return _json_lines(stream, name, start=0, refuse_array=True)


def _json_lines(
    stream: TextIO, name: str, *, start: int, refuse_array: bool
) -> Iterator[tuple[str, Any] | Rejection]:
    """JSON lines from line `start` + 1 on; `refuse_array` checks the first non-blank one."""
    for item in iter_lines(stream, name, start=start):
        if isinstance(item, Rejection):
            yield item
            continue
        lineno, line = item
        if not line.strip():
            continue
        if refuse_array and line.lstrip().startswith("["):
            raise InputError(
                f"{name}: a JSON array, not JSON lines; write one object per line"
                " (e.g. `jq -c '.[]'`)"
            )
        refuse_array = False
        location = f"{name}:{lineno}"
        try:
            yield location, json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(location, f"invalid JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:
            yield Rejection(location, TOO_DEEP)


def iter_json_records(stream: TextIO, name: str) -> Iterator[tuple[str, Any] | Rejection]:
    """Records from JSON lines, a JSON array, or `{"data": [...]}` (a raw API response).

    Arrays are decoded element by element, so a large array never sits in memory whole.
    """
    first = _first_non_blank_line(stream)
    if first is None:
        return
    if first[1].lstrip().startswith("["):
        yield from _iter_array(stream, name, first[1].lstrip()[1:])
        return
    yield from _unwrap_lines(_chain_first(first, stream, name))


def _first_non_blank_line(stream: TextIO) -> tuple[int, str] | None:
    """Skip leading blank lines; the first real line decides between lines and array."""
    lineno = 0
    while True:
        line = stream.readline(MAX_LINE_CHARS)
        if not line:
            return None
        lineno += 1
        if line.strip():
            return lineno, line


def _chain_first(
    first: tuple[int, str], stream: TextIO, name: str
) -> Iterator[tuple[str, Any] | Rejection]:
    """JSON lines, starting with a line already read by the format check."""
    lineno, line = first
    if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
        _skip_rest_of_line(stream)
        yield Rejection(f"{name}:{lineno}", f"line longer than {MAX_LINE_CHARS} characters")
    else:
        yield from _decode_first(line, lineno, stream, name)
    yield from _json_lines(stream, name, start=lineno, refuse_array=False)


def _decode_first(
    line: str, lineno: int, stream: TextIO, name: str
) -> Iterator[tuple[str, Any] | Rejection]:
    """Decode the first line; if it is the start of a pretty-printed document, read it whole."""
    location = f"{name}:{lineno}"
    try:
        yield location, json.loads(line)
    except RecursionError:
        yield Rejection(location, TOO_DEEP)
    except json.JSONDecodeError as exc:
        if line.strip() != "{":
            yield Rejection(location, f"invalid JSON ({exc.msg} at column {exc.colno})")
            return
        yield location, _read_document(line, stream, name)


def _read_document(start: str, stream: TextIO, name: str) -> Any:
    """A multi-line JSON object (pretty-printed API response), capped at MAX_LINE_CHARS."""
    rest = stream.read(MAX_LINE_CHARS)
    if stream.read(1):
        raise InputError(f"{name}: JSON document larger than {MAX_LINE_CHARS} characters")
    try:
        return json.loads(start + rest)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{name}: {TOO_DEEP}") from None


def _unwrap_lines(
    items: Iterator[tuple[str, Any] | Rejection],
) -> Iterator[tuple[str, Any] | Rejection]:
    """Expand `{"data": [...]}` wrappers (one per line or document) into their items."""
    for item in items:
        if isinstance(item, Rejection) or not _is_wrapper(item[1]):
            yield item
            continue
        location, value = item
        for index, element in enumerate(value["data"]):
            yield f"{location}[{index}]", element


def _is_wrapper(value: Any) -> bool:
    """HF's dated responses sometimes wrap the item list as `{"status", "date", "data": [...]}`."""
    return isinstance(value, dict) and isinstance(value.get("data"), list) and "paper" not in value


def _iter_array(stream: TextIO, name: str, buffer: str) -> Iterator[tuple[str, Any] | Rejection]:
    """Decode a JSON array one element at a time from a growing, trimmed buffer."""
    decoder = json.JSONDecoder()
    index = 0
    buffer = _fill(stream, buffer)
    while not buffer.startswith("]"):
        if not buffer:
            raise InputError(f"{name}: JSON array is not closed (file ends early)")
        where = f"{name}[{index}]"
        value, buffer = _decode_element(decoder, stream, buffer, where)
        yield where, value
        buffer = _fill(stream, buffer)
        if buffer.startswith(","):
            buffer = _fill(stream, buffer[1:])
        elif not buffer.startswith("]"):
            raise InputError(f"{where}: expected ',' or ']' after this item")
        index += 1


def _fill(stream: TextIO, buffer: str) -> str:
    """Drop leading whitespace and top the buffer up to at least one chunk, if there is more."""
    buffer = buffer.lstrip()
    while len(buffer) < _CHUNK_CHARS:
        more = stream.read(_CHUNK_CHARS)
        if not more:
            break
        buffer = (buffer + more).lstrip()
    return buffer


def _decode_element(
    decoder: json.JSONDecoder, stream: TextIO, buffer: str, where: str
) -> tuple[Any, str]:
    """Decode one element, reading more text until it is complete or over the cap."""
    while True:
        try:
            value, end = decoder.raw_decode(buffer)
            return value, buffer[end:]
        except json.JSONDecodeError as exc:
            error = exc.msg
        except RecursionError:
            raise InputError(f"{where}: {TOO_DEEP}") from None
        more = stream.read(_CHUNK_CHARS)
        if not more:
            raise InputError(f"{where}: invalid JSON ({error})")
        if len(buffer) + len(more) > MAX_LINE_CHARS:
            raise InputError(f"{where}: element larger than {MAX_LINE_CHARS} characters")
        buffer += more
