"""Shared set-up for digest and subscription tests: mail settings and small featured days."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest

from dailypapers.ingest.loader import load
from dailypapers.models import FeatureRecord, PaperRecord, Parsed
from dailypapers.runtime import Runtime
from smtp_server import Recorder, smtp_server

BASE_URL = "https://papers.example.org"
MAIL_FROM = "Daily Papers <digest@papers.example.org>"
_LINK = re.compile(r"https://papers\.example\.org/(?:subscribe/\w+|unsubscribe)/[\w.\-]+")


@contextmanager
def mail_server(monkeypatch: pytest.MonkeyPatch, handler: Recorder) -> Iterator[Recorder]:
    """Serve `handler` on loopback and point the DAILYPAPERS_* mail settings at it.

    Use from an autouse fixture, so the environment is set before `settings` is built.
    """
    with smtp_server(handler) as port:
        env = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_SECURITY": "none",
            "SMTP_TIMEOUT": "5",
            "SMTP_RETRY_SECONDS": "0.01",
            "SEND_RATE_PER_SECOND": "0",
            "SECRET_KEY": "test-secret-" + "x" * 40,
            "BASE_URL": BASE_URL,
            "MAIL_FROM": MAIL_FROM,
        }
        for name, value in env.items():
            monkeypatch.setenv(f"DAILYPAPERS_{name}", value)
        yield handler


@dataclass(frozen=True)
class Spec:
    """A paper to feature: short title words, upvotes, authors."""

    title: str
    upvotes: int = 1
    authors: tuple[str, ...] = ("Ada Lovelace",)
    abstract: str = "We study things."


def feature(rt: Runtime, day: date, specs: list[Spec]) -> None:
    """Store and feature these papers on `day` (ids derived from titles)."""
    items = [
        Parsed(
            f"test:{i}",
            PaperRecord(
                title=s.title,
                abstract=s.abstract,
                authors=list(s.authors),
                arxiv_id=f"2605.{abs(hash(s.title)) % 90000 + 10000:05d}",
                upvotes=s.upvotes,
                published_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
                feature=FeatureRecord(feature_date=day),
            ),
        )
        for i, s in enumerate(specs)
    ]
    load(rt.engine, items)


def links(msg: EmailMessage) -> list[str]:
    """The confirm/manage/unsubscribe links in a message's text part."""
    body = msg.get_body(("plain",))
    assert body is not None
    return _LINK.findall(body.get_content())


def link(msg: EmailMessage, kind: str) -> str:
    """The one link of a kind ("confirm", "manage", "unsubscribe") in a message."""
    (found,) = [u for u in links(msg) if f"/{kind}/" in u]
    return found


def path_of(url: str) -> str:
    """The path of an absolute link on the test instance."""
    return url.removeprefix(BASE_URL)
