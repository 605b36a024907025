"""Read, parse and check an import file in a child process while this one writes.

Parsing JSON and normalising records costs about as much CPU as writing them, so a bulk
import splits the two over two processes: the child (`python -m
dailypapers.ingest.read_ahead FILE FORMAT`, a fresh interpreter, so nothing of the parent
is re-imported or inherited) runs the reader and `normalize.prepare` and streams the items,
in order and in pickled chunks, through its stdout pipe; the parent writes them. A thread of
the parent takes the chunks off the pipe as they come, up to `AHEAD` of them: the pipe's own
buffer (64 KiB, some 35 records) stopped the child while the parent wrote a batch, so the
two took turns instead of working at once. Memory stays bounded by `AHEAD` chunks.

Failures keep their meaning: an InputError in the child (truncated gzip, bad encoding) is
raised again in the parent with its message; if the parent dies (kill -9), the child's next
write fails on the closed pipe and it exits, so nothing is left running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from dailypapers.errors import DailyPapersError
from dailypapers.ingest.detect import READERS
from dailypapers.ingest.normalize import prepare
from dailypapers.ingest.source import open_text
from dailypapers.models import PaperRecord, Parsed, Rejection, SourceItem
from dailypapers.store.papers import content_hash

CHUNK = 1000
"""Items per message: enough that pickling overhead is small, few enough that the first
batch starts writing at once."""
AHEAD = 8
"""Chunks the parent holds unread: more than a bulk batch (5,000 records), so the child
parses the next batch while the parent writes this one (about 15 MB of arXiv records)."""
_HEADER = 8


def read_in_child(
    path: Path, fmt: str, *, on_bytes: Callable[[int], None] | None = None
) -> Generator[SourceItem, None, None]:
    """The file's items, each Parsed one already through `prepare`, read by a child process."""
    command = [sys.executable, "-m", __name__, str(path), fmt]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    assert child.stdout is not None
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    pump = threading.Thread(target=_pump, args=(child.stdout, frames), daemon=True)
    pump.start()
    try:
        while True:
            frame = frames.get()
            if frame is None:
                raise DailyPapersError(
                    f"{path.name}: the reading process stopped (exit code {child.wait()})"
                )
            kind, payload, read_bytes = pickle.loads(frame)
            if on_bytes and read_bytes:
                on_bytes(read_bytes)
            if kind == "error":
                raise payload
            if kind == "done":
                return
            yield from map(_from_wire, payload)
    finally:
        if child.poll() is None:  # stopped early (strict mode, an error): no more reading
            child.terminate()
        while pump.is_alive():  # the pump ends at the pipe's end; make room for its last put
            with contextlib.suppress(queue.Empty):
                frames.get(timeout=0.05)
        child.stdout.close()
        child.wait()


def _pump(stream: BinaryIO, frames: queue.Queue[bytes | None]) -> None:
    """Move the child's messages off its pipe into `frames`, then None at the pipe's end.
    Reading releases the GIL, so this costs the writing thread nothing while it waits."""
    while len(header := stream.read(_HEADER)) == _HEADER:
        size = int.from_bytes(header, "big")
        frame = stream.read(size)
        if len(frame) < size:
            break
        frames.put(frame)
    frames.put(None)


_FIELDS = tuple(f.name for f in dataclasses.fields(PaperRecord))
Wire = tuple[str, str | tuple[object, ...], str | None]
"""(location, reason, None) for a Rejection, (location, field values, content hash) for a
Parsed record: plain tuples unpickle in less than half the time of the dataclasses, and the
hash is computed here, because the writing process's time is the import's bottleneck."""


def _to_wire(item: SourceItem) -> Wire:
    if isinstance(item, Rejection):
        return item.location, item.reason, None
    record = item.record
    return item.location, tuple(getattr(record, name) for name in _FIELDS), content_hash(record)


def _from_wire(wire: Wire) -> SourceItem:
    location, value, digest = wire
    if isinstance(value, str):
        return Rejection(location, value)
    return Parsed(location, PaperRecord(*value), digest)  # type: ignore[arg-type]


def _send_items(path: Path, fmt: str, out: BinaryIO) -> None:
    """Write ("items", [item, ...], bytes read) messages, then ("done", ...) or ("error",
    InputError, ...)."""
    today = datetime.now(UTC).date()
    counted = [0]

    def count(n: int) -> None:
        counted[0] += n

    def send(kind: str, payload: object) -> None:
        frame = pickle.dumps((kind, payload, counted[0]), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(frame).to_bytes(_HEADER, "big") + frame)
        out.flush()
        counted[0] = 0

    try:
        chunk: list[Wire] = []
        with open_text(path, on_bytes=count) as stream:
            for item in READERS[fmt](stream, path.name):
                chunk.append(_to_wire(prepare(item, today) if isinstance(item, Parsed) else item))
                if len(chunk) >= CHUNK:
                    send("items", chunk)
                    chunk = []
        send("items", chunk)
        send("done", None)
    except DailyPapersError as exc:
        send("error", exc)


def main() -> None:
    """Child process entry: stdout carries the messages only (prints go to stderr). Ctrl-C
    reaches the whole process group: the importer handles it (and stops this process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _send_items(Path(sys.argv[1]), sys.argv[2], out)
        out.close()
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)  # the importer is gone (killed, or stopped early): nobody to read for


if __name__ == "__main__":
    main()
