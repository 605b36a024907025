"""Helpers shared by the web tests: seed papers, build clients, pull CSRF tokens from forms."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx

from dailypapers.config import Settings
from dailypapers.models import FeatureRecord, PaperRecord
from dailypapers.store.database import transaction
from dailypapers.store.features import upsert_features
from dailypapers.store.papers import upsert_papers
from dailypapers.store.users import ensure_submitters

DAY = date(2024, 6, 3)
EVIL_ABSTRACT = "We show <script>alert('x')</script> that $a < b$ & $E=mc^2$ holds."


def paper(
    arxiv_id: str | None,
    title: str,
    *,
    upvotes: int = 0,
    abstract: str = "Plain.",
    day: date | None = DAY,
) -> PaperRecord:
    """A small PaperRecord, featured on `day` by the imported user `alice`."""
    feature = FeatureRecord(
        day, submitted_by="alice", submitted_at=datetime(2024, 6, 3, tzinfo=UTC)
    )
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace", "Alan Turing"],
        arxiv_id=arxiv_id,
        categories=["cs.LG"],
        published_at=datetime(2024, 6, 1, tzinfo=UTC),
        code_url="https://github.com/example/repo",
        upvotes=upvotes,
        feature=feature if day else None,
    )


SEED = [
    paper("2406.00001", "Diffusion Models Are Great", upvotes=5),
    paper("2406.00002", "Evil Abstract Paper", upvotes=10, abstract=EVIL_ABSTRACT),
    paper(None, "A Listing Page Paper Without Id", upvotes=1),
    paper("2406.00003", "Older Paper", upvotes=3, day=date(2024, 6, 1)),
    paper("2406.00004", "Stored But Never Featured", day=None),
]


def seed(engine: object) -> dict[str, int]:
    """Store SEED; returns paper ids by title."""
    with transaction(engine) as conn:  # type: ignore[arg-type]
        ids = upsert_papers(conn, SEED).paper_ids
        features = [r.feature for r in SEED if r.feature]
        submitters = ensure_submitters(conn, features)
        upsert_features(
            conn,
            [(pid, r.feature) for pid, r in zip(ids, SEED, strict=True) if r.feature],
            submitter_ids=submitters,
        )
    return {r.title: pid for r, pid in zip(SEED, ids, strict=True)}


def with_secret(settings: Settings) -> Settings:
    """Settings with an explicit secret (required on PostgreSQL)."""
    return settings.model_copy(update={"secret_key": "test-secret-" + "x" * 40})


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: httpx.Client, path: str) -> str:
    """The CSRF token in the form on `path`."""
    found = _CSRF.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_up(client: httpx.Client, name: str, password: str = "correct horse") -> httpx.Response:
    """Sign up (and so sign in) through the form."""
    token = csrf_from(client, "/signup")
    data = {
        "username": name,
        "email": f"{name}@example.org",
        "password": password,
        "csrf_token": token,
    }
    return client.post("/signup", data=data)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)
