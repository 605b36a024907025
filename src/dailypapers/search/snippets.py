"""HTML-safe snippets: the best window of an abstract with the query's words in ``<mark>``.

Everything outside the marks is HTML-escaped (abstracts contain ``<``, ``&`` and LaTeX ``$``),
so the result can be inserted into a page as is. Matching is case-insensitive and forgiving
about endings (the keyword index stems with Porter, so "networks" finds "network"): a word
matches a term when both reduce to the same crude stem.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

DEFAULT_WORDS = 40
_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPAN = re.compile(r"\S+")
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
    with an ellipsis where it was cut."""
    spans = [m.span() for m in _SPAN.finditer(text)]
    if len(spans) <= words:
        return highlight(text, stems)
    hits = _span_hits(text, spans, stems)
    start = _best_window(hits, words)
    end = min(start + words, len(spans))
    piece = text[spans[start][0] : spans[end - 1][1]]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(spans) else ""
    return prefix + highlight(piece, stems) + suffix


def _span_hits(text: str, spans: Sequence[tuple[int, int]], stems: frozenset[str]) -> list[bool]:
    """Whether each whitespace-separated span holds a matching word."""
    starts = [a for a, _ in spans]
    hits = [False] * len(spans)
    for match in _matches(text, stems):
        hits[bisect_right(starts, match.start()) - 1] = True
    return hits


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
