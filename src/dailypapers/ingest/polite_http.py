"""HTTP GETs that respect arXiv's rules: spacing between requests, backoff, Retry-After.

arXiv asks for at most one request every 3 seconds and uses `503 + Retry-After` as its
normal flow control for OAI-PMH, so both arXiv clients share this one implementation.
Sleeping and the clock are injectable so tests can check the delays without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, Self, TypedDict, Unpack
from urllib.parse import urlsplit

import httpx

from dailypapers import __version__
from dailypapers.errors import SourceError

USER_AGENT = f"dailypapers/{__version__} (self-hosted paper hub; httpx)"
MAX_RETRY_AFTER_SECONDS = 600.0
"""Longer Retry-After values are capped, so one odd header cannot stall an import for hours."""

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class PoliteHttp:
    """A GET-only HTTP client with a minimum interval between requests and bounded retries."""

    def __init__(
        self,
        *,
        delay_seconds: float,
        max_retries: int,
        timeout: float,
        client: httpx.Client | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.delay_seconds = delay_seconds
        self.max_retries = max_retries
        self._client = client or httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )
        self._owns_client = client is None
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._last_request: float | None = None

    def close(self) -> None:
        """Close the connection pool if this object created it."""
        if self._owns_client:
            self._client.close()

    def get(self, url: str, params: Mapping[str, str | int]) -> httpx.Response:
        """GET with retries on 5xx/429 and network errors; SourceError once they run out."""
        host = urlsplit(url).netloc or url
        wait = 0.0
        for attempt in range(self.max_retries + 1):
            self._wait_turn(wait)
            final = attempt == self.max_retries
            try:
                response = self._client.get(url, params=params)
            except httpx.TransportError as exc:
                if final:
                    raise SourceError(f"{host} unreachable: {_describe(exc)}") from None
                wait = self._backoff(attempt)
                continue
            if not _is_retryable(response.status_code):
                return _checked(response, host)
            wait = _retry_after(response) or self._backoff(attempt)
        raise SourceError(
            f"{host} unavailable: HTTP {response.status_code} after {self.max_retries + 1} tries"
        )

    def _wait_turn(self, minimum: float) -> None:
        """Sleep `minimum` (a retry's wait) or until `delay_seconds` after the last request.

        A retry wait already spaces requests out, so the two are not added together.
        """
        now = self._clock()
        remaining = minimum
        if self._last_request is not None:
            remaining = max(remaining, self._last_request + self.delay_seconds - now)
        if remaining > 0:
            self._sleep(remaining)
            now = self._clock()
        self._last_request = now

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff from the politeness delay (at least 1 s): d, 2d, 4d, ..."""
        return max(self.delay_seconds, 1.0) * 2**attempt


def _is_retryable(status: int) -> bool:
    """Server-side trouble and rate limiting are worth retrying; client errors are not."""
    return status >= 500 or status == 429


def _checked(response: httpx.Response, host: str) -> httpx.Response:
    """Pass 2xx through; any other final status is a SourceError naming it."""
    if response.is_success:
        return response
    first_line = response.text.strip().splitlines()[:1]
    detail = f": {first_line[0][:200]}" if first_line else ""
    raise SourceError(f"{host} answered HTTP {response.status_code}{detail}")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date), capped; None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _describe(exc: httpx.TransportError) -> str:
    """A short reason: the exception's message, or its kind when it has none."""
    return str(exc) or type(exc).__name__


class PoliteOptions(TypedDict, total=False):
    """What an arXiv client passes through to its PoliteHttp."""

    delay_seconds: float
    max_retries: int
    timeout: float
    client: httpx.Client | None
    sleep: Sleep | None
    clock: Clock | None


class PoliteClient:
    """Base of the arXiv clients: one PoliteHttp, released by close() or a `with` block."""

    default_url: ClassVar[str]
    default_timeout: ClassVar[float] = 30.0

    def __init__(self, base_url: str | None = None, **options: Unpack[PoliteOptions]) -> None:
        self.base_url = base_url or self.default_url
        self._http = PoliteHttp(
            delay_seconds=options.get("delay_seconds", 3.0),
            max_retries=options.get("max_retries", 4),
            timeout=options.get("timeout", self.default_timeout),
            client=options.get("client"),
            sleep=options.get("sleep"),
            clock=options.get("clock"),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP connection pool (if this client created it)."""
        self._http.close()
