"""What text and links may be stored and shown: the one definition of each rule, pure.

Imports clean text and check links with these before anything is stored, and the web
layer, feeds and emails apply the same functions again when they render, so a row that
came in some other way (an old import, a direct SQL edit) still cannot break a feed or
put a `javascript:` link on a page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

# Characters XML 1.0 forbids (C0 controls but tab, LF, CR; surrogates; U+FFFE, U+FFFF).
# PostgreSQL also refuses NUL in text, so stored text never carries any of them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f<>\"'`\\]")
# The common shape of a good link, checked with one regex instead of urlsplit (which cost
# more than anything else when the API read a page of papers): http(s), a plain ASCII host,
# an optional port, then the end or a path, query or fragment. Whatever matches is what
# urlsplit accepts too (tests/test_safety.py checks both agree); anything else, e.g.
# userinfo, IPv6 or a non-ASCII host, is decided by urlsplit.
_PLAIN_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#]|\Z)", re.IGNORECASE)
LINK_SCHEMES = ("http", "https")
MAX_INT = 2**31 - 1
"""Largest count or id the store keeps (its integer columns are 32-bit on PostgreSQL)."""
MAX_PAGE = 1_000_000
"""Highest page number asked for: far beyond any listing, and its offset fits any integer."""


def clean_text(text: str) -> str:
    """`text` without the control characters that XML (feeds) and PostgreSQL refuse."""
    return _XML_INVALID.sub("", text)


def has_invalid_text(text: str) -> bool:
    """Whether `clean_text` would remove anything from `text`."""
    return _XML_INVALID.search(text) is not None


def http_url(value: str | None) -> str | None:
    """`value` if it is an absolute http(s) URL with a host and no spaces or quotes, else
    None. Every link taken from data (imports, the database) goes through this before it
    is stored or becomes an `href`, which rules out `javascript:`, `data:` and the like."""
    if not value or _URL_FORBIDDEN.search(value):
        return None
    if _PLAIN_HTTP_URL.match(value) or _has_http_host(value):
        return value
    return None


def site_link(value: str | None) -> str | None:
    """`value` if it passes `http_url` or is a path on the site that sent it (HF gives
    older avatars as `/avatars/...`), else None: no scheme but http(s) either way."""
    if value and value.startswith("/") and not value.startswith("//"):
        return None if _URL_FORBIDDEN.search(value) else value
    return http_url(value)


_LINK_NAMES = frozenset({"githubRepo", "projectPage", "thumbnail", "avatar"})
_link_names: dict[str, bool] = {}  # memo of _is_link_name: JSON objects repeat their names


def _is_link_name(name: str) -> bool:
    """Whether a JSON member holds a link (or a list of them): HF's names for links, and any
    name ending in `Url`/`Urls` (`avatarUrl`, `mediaUrls`, fields HF may add later)."""
    known = _link_names.get(name)
    if known is None:
        known = name in _LINK_NAMES or name.lower().endswith(("url", "urls"))
        if len(_link_names) < 10_000:
            _link_names[name] = known
    return known


def safe_links(value: Any) -> Any:
    """JSON kept as another site sent it (HF's paper and item objects), with every link
    that `site_link` refuses taken out: one alone becomes null, one in a list leaves it.
    The API gives such JSON back verbatim, so this runs before it is stored. Almost all
    JSON has no such link and comes back as it is, after a walk that copies nothing (a
    copy of every record cost an import twice the time of parsing it)."""
    return _without_bad_links(value, False) if _has_bad_link(value, False) else value


def _bad(text: str) -> bool:
    """A link `site_link` refuses (surrounding spaces aside: HF sends ` https://...`, and
    browsers strip them; a forbidden character anywhere else is still refused)."""
    return bool(text) and site_link(text.strip()) is None


def _has_bad_link(value: Any, link: bool) -> bool:
    """Whether `value` holds a bad link (`link`: its strings are links themselves). The
    common case, a member that is neither a link nor a container, costs two type checks."""
    if type(value) is dict:
        names = _link_names
        for name, member in value.items():
            kind = type(member)
            if kind is str:
                is_link = names.get(name)
                if is_link is None:
                    is_link = _is_link_name(name)
                if is_link and _bad(member):
                    return True
            elif (kind is dict or kind is list) and _has_bad_link(member, _is_link_name(name)):
                return True
        return False
    if type(value) is list:
        for item in value:
            kind = type(item)
            if kind is str:
                if link and _bad(item):
                    return True
            elif (kind is dict or kind is list) and _has_bad_link(item, link):
                return True
    return False


def _without_bad_links(value: Any, link: bool) -> Any:
    if type(value) is dict:
        return {k: _without_bad_links(v, _is_link_name(k)) for k, v in value.items()}
    if type(value) is list:
        items = [_without_bad_links(v, link) for v in value]
        return [v for v in items if v is not None] if link else items
    if link and type(value) is str and _bad(value):
        return None
    return value


def _has_http_host(value: str) -> bool:
    """Whether urlsplit reads `value` as http(s) with a host (the general, slower check)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(host)
