"""What the browser tests share: the live server handle and where screenshots go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from dailypapers.runtime import Runtime
from dailypapers.store.schema import features

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens and the runtime behind it (for picking test data)."""

    url: str
    runtime: Runtime


def busiest_day_path(server: LiveServer) -> str:
    """The feed page of the sample's day with the most papers: stable whatever other tests
    feature today (which makes `/` a day of one paper)."""
    count = sa.func.count().label("n")
    q = sa.select(features.c.feature_date, count).group_by(features.c.feature_date)
    with server.runtime.engine.connect() as conn:
        day = conn.execute(q.order_by(count.desc()).limit(1)).one().feature_date
    return f"{server.url}/papers/date/{day.isoformat()}"
