"""What text and links may be stored and shown: the one definition of each rule, pure.

Imports clean text and check links with these before anything is stored, and the web
layer, feeds and emails apply the same functions again when they render, so a row that
came in some other way (an old import, a direct SQL edit) still cannot break a feed or
put a `javascript:` link on a page.
"""

from __future__ import annotations

import re
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


def http_url(value: str | None) -> str | None:
    """`value` if it is an absolute http(s) URL with a host and no spaces or quotes, else
    None. Every link taken from data (imports, the database) goes through this before it
    is stored or becomes an `href`, which rules out `javascript:`, `data:` and the like."""
    if not value or _URL_FORBIDDEN.search(value):
        return None
    if _PLAIN_HTTP_URL.match(value) or _has_http_host(value):
        return value
    return None


def _has_http_host(value: str) -> bool:
    """Whether urlsplit reads `value` as http(s) with a host (the general, slower check)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(host)
