"""HTML-safe snippets: the best window of an abstract with the query's words in ``<mark>``.

Everything outside the marks is HTML-escaped (abstracts contain ``<``, ``&`` and LaTeX ``$``),
so the result can be inserted into a page as is. Matching is case-insensitive and forgiving
about endings (the keyword index stems with Porter, so "networks" finds "network"): a word
matches a term when both reduce to the same crude stem.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
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


@lru_cache(maxsize=256)
def _candidates(stems: frozenset[str]) -> re.Pattern[str] | None:
    """Words that begin with a query stem, found in one C-level scan instead of stemming every
    word in Python (that was most of a snippet's cost). A stem is a prefix of its word's lower
    case, so no match is missed; ``_matches`` confirms each candidate with ``stem``."""
    if not stems:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)


def _matches(text: str, stems: frozenset[str]) -> Iterator[re.Match[str]]:
    """The words of ``text`` whose stem is one of ``stems``, in order."""
    candidates = _candidates(stems)
    if candidates is None:
        return iter(())
    return (m for m in candidates.finditer(text) if stem(m.group()) in stems)


def highlight(text: str, stems: frozenset[str]) -> str:
    """All of ``text``, escaped, with matching words wrapped in ``<mark>``."""
    out, pos = [], 0
    for match in _matches(text, stems):
        out.append(html.escape(text[pos : match.start()]))
        out.append(f"<mark>{html.escape(match.group())}</mark>")
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(text: str, stems: frozenset[str], *, words: int = DEFAULT_WORDS) -> str:
    """The ``words``-word window of ``text`` with the most matches, escaped and highlighted,
    with an ellipsis where it was cut.

    Works from the matches, not from every word: a search page makes 20 snippets of ~180-word
    abstracts, and listing each word's position in Python was most of their cost. Words are
    whitespace-separated spans; counting them (``str.split``) and finding the window's ends
    (a regex) run in C.
    """
    total = len(text.split())
    if total <= words:
        return highlight(text, stems)
    start = _best_window(_hit_words(text, stems), words, total)
    end = min(start + words, total)
    first = _nth_span(start).match(text)
    last = _nth_span(end - 1).match(text)
    assert first is not None and last is not None  # the text has at least ``end`` words
    piece = text[first.start(1) : last.end(1)]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < total else ""
    return prefix + highlight(piece, stems) + suffix


@lru_cache(maxsize=1024)
def _nth_span(n: int) -> re.Pattern[str]:
    """Matches the start of a text through its ``n``-th whitespace-separated span (group 1)."""
    return re.compile(rf"\s*(?:\S+\s+){{{n}}}(\S+)")


def _hit_words(text: str, stems: frozenset[str]) -> list[int]:
    """The indexes of the whitespace-separated spans that hold a matching word, ascending."""
    hits: list[int] = []
    seen, counted = 0, 0  # spans that start in text[:counted]
    for match in _matches(text, stems):
        upto = match.start() + 1  # the span holding the match starts at or before it
        seen += _span_starts(text, counted, upto)
        counted = upto
        if not hits or hits[-1] != seen - 1:
            hits.append(seen - 1)
    return hits


def _span_starts(text: str, a: int, b: int) -> int:
    """How many whitespace-separated spans start in ``text[a:b]``."""
    segment = text[a:b]
    n = len(segment.split())
    if n and a > 0 and not text[a - 1].isspace() and not segment[0].isspace():
        n -= 1  # the first piece continues a span that started before a
    return n


def _best_window(hits: Sequence[int], size: int, total: int) -> int:
    """Start of the ``size``-word window (of ``total`` words) with the most hits; the earliest
    wins a tie (abstracts front-load their point). The count only rises where a hit enters
    the window, so the best start is 0 or one that ends at a hit."""
    best_start, best = 0, bisect_left(hits, size)
    for hit in hits:
        start = hit - size + 1
        if 0 < start <= total - size:
            count = bisect_left(hits, start + size) - bisect_left(hits, start)
            if count > best:
                best_start, best = start, count
    return best_start
