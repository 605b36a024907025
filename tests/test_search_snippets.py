"""Snippets: the window with the most matching words, found from the matches alone, is the
one a plain scan over every word finds."""

from __future__ import annotations

import re
from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from dailypapers.search.snippets import highlight, query_stems, snippet


def _reference(text: str, stems: frozenset[str], words: int) -> str:
    """The straightforward version: every word's span, a hit flag each, a sliding sum."""
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    if len(spans) <= words:
        return highlight(text, stems)
    starts = [a for a, _ in spans]
    hits = [False] * len(spans)
    pattern = re.compile(r"\w+")
    for m in pattern.finditer(text):
        if query_stems((m.group(),)) <= stems:
            hits[bisect_right(starts, m.start()) - 1] = True
    current = sum(hits[:words])
    start, best = 0, current
    for s in range(1, len(hits) - words + 1):
        current += hits[s + words - 1] - hits[s - 1]
        if current > best:
            start, best = s, current
    end = min(start + words, len(spans))
    piece = highlight(text[spans[start][0] : spans[end - 1][1]], stems)
    return ("… " if start > 0 else "") + piece + (" …" if end < len(spans) else "")


WORDS = st.sampled_from(["diffusion", "models", "(Diffusion", "noise,", "a", "x-diffusions", "é"])
SPACES = st.sampled_from([" ", "  ", "\n", " \t "])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(WORDS, SPACES), max_size=60),
    st.sampled_from([" ", ""]),
    st.integers(min_value=1, max_value=12),
)
def test_snippet_window_matches_a_scan_over_every_word(
    parts: list[tuple[str, str]], lead: str, words: int
) -> None:
    text = lead + "".join(w + s for w, s in parts)
    stems = query_stems(("diffusion", "noise"))
    assert snippet(text, stems, words=words) == _reference(text, stems, words)


def test_snippet_prefers_the_earliest_densest_window() -> None:
    text = "a b diffusion c d e f g diffusion noise h i j k"
    stems = query_stems(("diffusion", "noise"))
    assert snippet(text, stems, words=3) == "… g <mark>diffusion</mark> <mark>noise</mark> …"
    assert snippet(text, stems, words=20).startswith("a b <mark>diffusion</mark>")
