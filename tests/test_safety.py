"""safety.http_url: its quick check of plain links never accepts what the general one refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dailypapers import safety

ODD_LINKS = [
    "http://example.org",
    "HTTPS://Example.org/a?b#c",
    "http://a:99999999/x",
    "http://a.b:/",
    "http://.",
    "http://-/",
    "http://a?x",
    "http://a#f",
    "http://",
    "http:///path",
    "http://:80/",
    "http://user@host/",
    "http://@host/",
    "http://[::1]/",
    "http://[::1/",
    "http://exämple.org/",
    "http://\uff45xample.org/",  # fullwidth e
    "https:example.org",
    "ftp://example.org/",
    "javascript://example.org/%0aalert(1)",
    "javascript:alert(1)",
    "//example.org/",
    "example.org",
    "http:\\\\example.org",
    "http://exa mple.org/",
    'http://example.org/"onmouseover=',
    "http://example.org\t/",
    "",
]


@pytest.mark.parametrize("value", ODD_LINKS)
def test_quick_check_agrees_with_urlsplit(value: str) -> None:
    if safety._PLAIN_HTTP_URL.match(value) and not safety._URL_FORBIDDEN.search(value):
        assert safety._has_http_host(value), value


def test_http_url_keeps_good_links_and_drops_the_rest() -> None:
    kept = [v for v in ODD_LINKS if safety.http_url(v) == v]
    assert kept == [
        "http://example.org",
        "HTTPS://Example.org/a?b#c",
        "http://a:99999999/x",
        "http://a.b:/",
        "http://.",
        "http://-/",
        "http://a?x",
        "http://a#f",
        "http://user@host/",
        "http://@host/",
        "http://[::1]/",
        "http://exämple.org/",
        "http://\uff45xample.org/",  # fullwidth e
    ]
    assert all(safety.http_url(v) is None for v in ODD_LINKS if v not in kept)


_LINKISH = st.text(alphabet="hHtTpPsS:/.@[]#?%-_aZ09 é", max_size=24)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTP://", "http:", ""]), _LINKISH)
def test_quick_check_never_accepts_what_urlsplit_refuses(prefix: str, rest: str) -> None:
    value = prefix + rest
    if safety._PLAIN_HTTP_URL.match(value) and not safety._URL_FORBIDDEN.search(value):
        assert safety._has_http_host(value), value
