"""The search box language, parsed once and rendered safely for each backend.

Syntax (Google-like, lenient): plain words; ``"exact phrase"``; ``-word`` and ``-"phrase"`` to
exclude; filters ``author:name``, ``author:"Full Name"``, ``cat:cs.CL``, ``year:2023``,
``year:2023..2024``, ``year:2023..``, ``year:..2024``. An unbalanced quote closes at the end of
the input; an unknown ``field:`` prefix is part of a plain term; boolean operators (AND, OR, NOT,
NEAR) are not supported and are dropped. Nothing the user types reaches FTS5 or PostgreSQL as
syntax: every word and phrase is rendered as a quoted string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dailypapers.errors import InputError

MAX_QUERY_CHARS = 1000
"""Longer input is cut here, not rejected: no real query is longer, and parsing stays cheap."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(
    r"""(?P<neg>-)?
        (?:(?P<field>[A-Za-z]+):)?
        (?:"(?P<quoted>[^"]*)(?:"|\Z) | (?P<bare>[^\s"]+))""",
    re.VERBOSE,
)
_BRACKETS = re.compile(r"[()\[\]{}]")
_EDGE_PUNCT = "()[]{}*^:,;.!?'`~<>=|\\/"
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_WORD = re.compile(r"\w")
_YEAR = re.compile(r"(?P<start>[0-9]{4})?(?P<range>\.\.)?(?P<end>[0-9]{4})?")
_FILTERS = frozenset({"author", "cat", "year"})
_LUCENE_WORDS = (
    "a an and are as at be but by for if in into is it no not of on or such that the their then"
    " there these they this to was will with"
)
_FUNCTION_WORDS = (
    "about above after again against all also am any because been before being below between"
    " both can could did do does doing down during each few from further had has have having he"
    " her here hers herself him himself his how i its itself just me more most my myself nor now"
    " off once only other ought our ours ourselves out over own same she should so some than them"
    " themselves those through too under until up very we were what when where which while who"
    " whom why would you your yours yourself yourselves"
)
LUCENE_STOPWORDS = frozenset(_LUCENE_WORDS.split())
"""Lucene's English stopwords (the keyword leg's list until 2026-11-30)."""
STOPWORDS = LUCENE_STOPWORDS | frozenset(_FUNCTION_WORDS.split())
"""Lucene's list plus English function words (pronouns, auxiliaries, question words): words
that say nothing about a paper's subject. FTS5 indexes every word, so a query word like "of"
matches nearly every paper and bm25() would be computed for all of them, and in a question
("what methods have been used ...") FTS5's bm25() still gives such words a small positive
weight. The longer list raised the keyword leg's nDCG@10 on the eval collections, on the
tuning and the held-out queries alike (docs/search-quality.md); see ``without_stopwords``."""


@dataclass(frozen=True)
class Query:
    """A parsed query: what to match in text, what to exclude, and structured filters."""

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    term_counts: tuple[int, ...] = ()
    """How many times each of ``terms`` was typed, in the same order (empty: each once). A
    long question names its subject several times; BM25 ranking counts the repeats
    (``repeated_terms``), the other uses of ``terms`` see each word once."""

    @property
    def free_text(self) -> str:
        """Terms and phrases as one string: the input for the embedder (filters left out)."""
        return " ".join((*self.terms, *self.phrases))

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to match text against (filters alone may remain)."""
        return not (self.terms or self.phrases)


@dataclass(frozen=True)
class TsQueryParts:
    """Safe inputs for PostgreSQL ``websearch_to_tsquery``, AND-ed together by the store.

    ``all_of`` holds what must match (phrases, exclusions); ``any_of`` the words, OR-ed so that
    long natural-language queries still find documents (ranking does the rest). None: no part.
    """

    all_of: str | None
    any_of: str | None


def parse_query(text: str) -> Query:
    """Parses the search box; raises InputError only for filters that cannot mean anything."""
    text = _CONTROL.sub(" ", text[:MAX_QUERY_CHARS])
    parts: dict[str, list[str]] = {k: [] for k in ("terms", "phrases", "excluded", "authors")}
    parts["categories"] = []
    years: list[tuple[int | None, int | None]] = []
    pos = 0
    while (match := _next_token(text, pos)) is not None:
        pos = match.end()
        _add_token(match, parts, years)
    if len(years) > 1:
        raise InputError("only one year: filter is allowed per query")
    year_from, year_to = years[0] if years else (None, None)
    terms = _unique(parts["terms"])
    return Query(
        terms=terms,
        term_counts=_repeats_only(tuple(map(parts["terms"].count, terms))),
        phrases=_unique(parts["phrases"]),
        excluded=_unique(parts["excluded"]),
        authors=_unique(parts["authors"]),
        categories=_unique(parts["categories"]),
        year_from=year_from,
        year_to=year_to,
    )


def _next_token(text: str, pos: int) -> re.Match[str] | None:
    """The next token after whitespace; the pattern matches at any non-space character."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return _TOKEN.match(text, pos) if pos < len(text) else None


def _add_token(
    match: re.Match[str], parts: dict[str, list[str]], years: list[tuple[int | None, int | None]]
) -> None:
    negated, field = bool(match["neg"]), (match["field"] or "").lower()
    quoted, value = match["quoted"] is not None, match["quoted"] or match["bare"] or ""
    if field in _FILTERS:
        if negated:
            raise InputError(f"-{field}:{value}: negated filters are not supported")
        _add_filter(field, value, parts, years)
        return
    words = parts["excluded" if negated else "terms"]
    if quoted:
        if match["field"]:
            _append(words, _term(match["field"]))
        _append(parts["excluded" if negated else "phrases"], _phrase(value))
        return
    if match["field"]:
        value = f"{match['field']}:{value}"
    for piece in _BRACKETS.split(value):
        if piece not in _OPERATORS:
            _append(words, _term(piece))


def _add_filter(
    field: str, value: str, parts: dict[str, list[str]], years: list[tuple[int | None, int | None]]
) -> None:
    value = _phrase(value)
    if not value:
        return
    if field == "year":
        years.append(parse_year_range(value))
    else:
        parts["authors" if field == "author" else "categories"].append(value)


def parse_year_range(value: str) -> tuple[int | None, int | None]:
    """``2023`` → (2023, 2023); ``2023..2024``; ``2023..`` and ``..2024`` are open-ended."""
    match = _YEAR.fullmatch(value)
    if not match or not (match["start"] or match["end"]) or (match["end"] and not match["range"]):
        raise InputError(f"year:{value}: expected a year like 2023, 2023..2024, 2023.. or ..2024")
    start = int(match["start"]) if match["start"] else None
    end = int(match["end"]) if match["end"] else None
    if not match["range"]:
        end = start
    if start is not None and end is not None and start > end:
        raise InputError(f"year:{value}: start after end")
    return start, end


def _term(raw: str) -> str:
    """A word without the punctuation around it; '' when nothing word-like is left."""
    word = raw.strip(_EDGE_PUNCT + "-+")
    return word if _WORD.search(word) else ""


def _phrase(raw: str) -> str:
    """Whitespace collapsed; '' when the phrase holds no word character."""
    phrase = " ".join(raw.split())
    return phrase if _WORD.search(phrase) else ""


def _append(bucket: list[str], item: str) -> None:
    if item:
        bucket.append(item)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def without_stopwords(query: Query) -> Query:
    """``query`` with stopword terms dropped, unless every term is one ("to be or not to be").

    For the FTS5 keyword leg only (PostgreSQL's english configuration drops them itself): they
    add almost nothing to BM25 but make it score a large share of the store; phrases keep them.
    """
    counts = query.term_counts or (1,) * len(query.terms)
    kept = [(t, n) for t, n in zip(query.terms, counts, strict=True) if t.lower() not in STOPWORDS]
    if not kept:
        return query
    terms, kept_counts = tuple(t for t, _ in kept), tuple(n for _, n in kept)
    return replace(query, terms=terms, term_counts=_repeats_only(kept_counts))


def _repeats_only(counts: tuple[int, ...]) -> tuple[int, ...]:
    """``counts``, or () when every word was typed once: one spelling of "no repeats"."""
    return counts if any(n > 1 for n in counts) else ()


def repeated_terms(query: Query, *, at_most: int) -> tuple[str, ...]:
    """Each term as often as it was typed, but at most ``at_most`` times: the query side of
    BM25 (a word repeated in a question counts once per repeat, as in Lucene and bm25s)."""
    counts = query.term_counts or (1,) * len(query.terms)
    return tuple(
        term
        for term, count in zip(query.terms, counts, strict=True)
        for _ in range(max(1, min(count, at_most)))
    )


def _fts5_string(text: str) -> str:
    """An FTS5 string literal: inside double quotes every character is data, not syntax."""
    return '"' + text.replace('"', '""') + '"'


def to_fts5(query: Query, *, require_all_terms: bool = False, repeats: int = 1) -> str | None:
    """A safe SQLite FTS5 MATCH expression for the text part of ``query``; None when there is
    nothing positive to match (FTS5 cannot express a pure exclusion).

    Phrases are required; words are OR-ed by default, because AND-ing every word of a long
    question finds nothing, while BM25 ranking already favours documents with more words.
    A word typed several times is named up to ``repeats`` times: FTS5's bm25() scores each
    named word, so the repeats weigh it up (``repeated_terms``).
    """
    if query.is_empty:
        return None
    terms = repeated_terms(query, at_most=repeats)
    required = [_fts5_string(p) for p in query.phrases]
    words = [_fts5_string(t) for t in terms]
    if require_all_terms:
        required.extend(words)
    elif words:
        required.append(f"({fts5_any_of(terms)})")
    expression = " AND ".join(required)
    if query.excluded:
        expression = f"({expression}) NOT ({fts5_any_of(query.excluded)})"
    return expression


def fts5_any_of(texts: Sequence[str]) -> str:
    """A safe FTS5 MATCH expression for papers with any of ``texts`` (words or phrases)."""
    return " OR ".join(map(_fts5_string, texts))


def to_tsquery_parts(query: Query, *, require_all_terms: bool = False) -> TsQueryParts:
    """Strings for ``websearch_to_tsquery``: each word or phrase double-quoted (so ``or`` and a
    leading ``-`` stay words), exclusions as ``-"..."``; words OR-ed unless all are required."""
    quoted = [f'"{t}"' for t in query.terms]
    required = [f'"{p}"' for p in query.phrases] + [f'-"{e}"' for e in query.excluded]
    if require_all_terms:
        required, quoted = quoted + required, []
    words = " or ".join(quoted)
    if query.is_empty:
        required = []
    return TsQueryParts(all_of=" ".join(required) or None, any_of=words or None)
