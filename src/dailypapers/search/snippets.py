"""HTML-safe snippets: the best window of an abstract with the query's words in ``<mark>``.

Everything outside the marks is HTML-escaped (abstracts contain ``<``, ``&`` and LaTeX ``$``),
so the result can be inserted into a page as is. Matching is case-insensitive and forgiving
about endings (the keyword index stems with Porter, so "networks" finds "network"): a word
matches a term when both reduce to the same crude stem.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

DEFAULT_WORDS = 40
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "es", "ed", "ly", "s")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude, over-eager stem: enough to highlight inflected forms, never used to rank.
    Cached: snippets stem every word of every abstract on a page, and words repeat."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def query_stems(terms: Sequence[str]) -> frozenset[str]:
    """The stems of every word in the terms and phrases of a query."""
    return frozenset(stem(w) for t in terms for w in _TOKEN.findall(t))


def highlight(text: str, stems: frozenset[str]) -> str:
    """All of ``text``, escaped, with matching words wrapped in ``<mark>``."""
    out, pos = [], 0
    for match in _TOKEN.finditer(text):
        if stem(match.group()) in stems:
            out.append(html.escape(text[pos : match.start()]))
            out.append(f"<mark>{html.escape(match.group())}</mark>")
            pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(text: str, stems: frozenset[str], *, words: int = DEFAULT_WORDS) -> str:
    """The ``words``-word window of ``text`` with the most matches, escaped and highlighted,
    with an ellipsis where it was cut."""
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    if len(spans) <= words:
        return highlight(text, stems)
    hits = [any(stem(w) in stems for w in _TOKEN.findall(text[a:b])) for a, b in spans]
    start = _best_window(hits, words)
    end = min(start + words, len(spans))
    piece = text[spans[start][0] : spans[end - 1][1]]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(spans) else ""
    return prefix + highlight(piece, stems) + suffix


def _best_window(hits: Sequence[bool], size: int) -> int:
    """Start of the window with the most hits; the earliest wins a tie (abstracts front-load
    their point). Sliding sums keep it linear in the text length."""
    current = sum(hits[:size])
    best_start, best = 0, current
    for start in range(1, len(hits) - size + 1):
        current += hits[start + size - 1] - hits[start - 1]
        if current > best:
            best_start, best = start, current
    return best_start
