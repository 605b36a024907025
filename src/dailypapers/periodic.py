"""The background threads of `serve` (embedding, sync, digests) share one shape: a daemon
thread that does one pass every so often until asked to stop, finishing the pass it is in."""

from __future__ import annotations

import threading


class PeriodicThread:
    """Calls `run_once()` every `interval` seconds (first at once if `at_start`) on a daemon
    thread; `stop()` waits for the pass in progress."""

    def __init__(self, name: str, interval: float, *, at_start: bool = False) -> None:
        self.interval = interval
        self._at_start = at_start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Begin in the background."""
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to finish after its current pass and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called (a long pass may check it between steps)."""
        return self._stop.is_set()

    def run_once(self) -> None:
        """One pass; subclasses define it and keep their own errors in."""
        raise NotImplementedError

    def _loop(self) -> None:
        if self._at_start and not self.stopping:
            self.run_once()
        while not self._stop.wait(self.interval):
            self.run_once()
