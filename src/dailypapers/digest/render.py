"""Digest and confirmation emails: Jinja2 templates, CSS inlined, plain-text twin, headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from functools import cache

import css_inline
import jinja2

from dailypapers.config import Settings
from dailypapers.digest.compose import Digest
from dailypapers.mail.messages import base_message, unsubscribe_mailto
from dailypapers.models import Paper
from dailypapers.paper_paths import paper_path

ABSTRACT_CHARS = 320
AUTHORS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Links:
    """The signed links every digest carries, and the instance URL for paper links."""

    base_url: str
    manage_url: str
    unsubscribe_url: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered email body: subject, HTML (CSS inlined) and plain text with the same content."""

    subject: str
    html: str
    text: str


@cache
def _environment() -> jinja2.Environment:
    """The template environment, built once per process (templates ship in the package)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dailypapers.digest", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["authors"] = _authors
    env.filters["shorten"] = _shorten
    env.filters["day"] = _day
    return env


@cache
def _inliner() -> css_inline.CSSInliner:
    # keep_at_rules keeps the dark-mode @media block, which inlining cannot express.
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def _authors(names: list[str]) -> str:
    shown = ", ".join(names[:AUTHORS_SHOWN])
    return f"{shown} et al." if len(names) > AUTHORS_SHOWN else shown


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= ABSTRACT_CHARS:
        return text
    return text[:ABSTRACT_CHARS].rsplit(" ", 1)[0] + "…"


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def paper_url(base_url: str, paper: Paper) -> str:
    """Where a digest links a paper: its page on this instance."""
    return f"{base_url.rstrip('/')}{paper_path(paper)}"


def _title(digest: Digest) -> str:
    period = digest.period
    if period.cadence == "daily":
        return f"Daily Papers for {_day(period.end)}"
    return f"Daily Papers, week of {_day(period.start)} to {_day(period.end)}"


def render_digest(digest: Digest, links: Links) -> Rendered:
    """Render both parts from the same context, so they carry the same papers and links."""
    env = _environment()
    context = {
        "digest": digest,
        "title": _title(digest),
        "links": links,
        "paper_url": lambda p: paper_url(links.base_url, p),
        "sections": _sections(digest),
    }
    html = _inliner().inline(env.get_template("digest_email.html").render(context))
    text = env.get_template("digest_email.txt").render(context)
    count = len(digest.papers)
    subject = f"{_title(digest)}: {count} paper{'s' if count != 1 else ''}"
    return Rendered(subject=subject, html=html, text=text)


def _sections(digest: Digest) -> list[tuple[str, list[Paper]]]:
    named = [
        ("Top papers", digest.top),
        ("Picked for your interests", digest.personal),
        ("From authors you follow", digest.followed),
    ]
    return [(name, papers) for name, papers in named if papers]


def digest_message(
    rendered: Rendered, *, to: str, message_id: str, links: Links, settings: Settings
) -> Message:
    """A multipart/alternative digest with RFC 2369/8058 one-click unsubscribe headers."""
    msg = base_message(
        MIMEMultipart("alternative"),
        rendered.subject,
        to=to,
        message_id=message_id,
        settings=settings,
    )
    msg["List-Unsubscribe"] = f"<{links.unsubscribe_url}>, <{unsubscribe_mailto(settings)}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.attach(MIMEText(rendered.text, "plain", "utf-8"))
    msg.attach(MIMEText(rendered.html, "html", "utf-8"))
    return msg
