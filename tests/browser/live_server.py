"""What the browser tests share: the live server handle and where screenshots go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dailypapers.runtime import Runtime

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens and the runtime behind it (for picking test data)."""

    url: str
    runtime: Runtime
