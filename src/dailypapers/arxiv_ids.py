"""Parse and canonicalise arXiv identifiers (new `2401.01234v2` and old `hep-th/9901001v1`).

Every importer keys papers on the canonical id, so all spellings a user or a source
may use (bare, `arXiv:` prefixed, OAI identifiers, abs/pdf/html URLs, Hugging Face paper
URLs) must reduce to the same versionless id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
_OLD = re.compile(r"^(?P<id>[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?:v(?P<v>\d+))?$", re.IGNORECASE)
_PREFIXES = ("arxiv:", "oai:arxiv.org:")
_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_HF_URL = re.compile(r"^(?:https?://)?(?:www\.)?huggingface\.co/papers/(?P<rest>[^/?#]+)", re.I)
_QUERY_OR_FRAGMENT = re.compile(r"[?#].*$")


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A canonical arXiv id (no version) and the version it was given with, if any."""

    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId | None:
    """Parse an id, `arXiv:` form, OAI identifier or arxiv.org/HF paper URL; None if not one."""
    s = text.strip()
    for pattern in (_URL, _HF_URL):
        m = pattern.match(_QUERY_OR_FRAGMENT.sub("", s))
        if m:
            s = m.group("rest")
            break
    low = s.lower()
    for prefix in _PREFIXES:
        if low.startswith(prefix):
            s = s[len(prefix) :].strip()
            break
    m = _NEW.match(s) or _OLD.match(s)
    if not m:
        return None
    version = m.group("v")
    return ArxivId(_canonical_case(m.group("id")), int(version) if version else None)


def _canonical_case(arxiv_id: str) -> str:
    """Old ids are `archive.SC/NNNNNNN`: archive lower case, subject class upper case."""
    if "/" not in arxiv_id:
        return arxiv_id
    archive, number = arxiv_id.split("/")
    name, _, subject = archive.partition(".")
    return f"{name.lower()}.{subject.upper()}/{number}" if subject else f"{name.lower()}/{number}"


def canonical_arxiv_id(text: str) -> str | None:
    """The versionless canonical id for `text`, or None if it is not an arXiv id."""
    parsed = parse_arxiv_id(text)
    return parsed.id if parsed else None


def abs_url(arxiv_id: str) -> str:
    """The arXiv abstract page of a canonical id."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    """The arXiv PDF of a canonical id."""
    return f"https://arxiv.org/pdf/{arxiv_id}"
