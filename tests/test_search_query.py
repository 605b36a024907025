"""Query parsing, and that nothing typed can break an FTS5 MATCH."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dailypapers.errors import InputError
from dailypapers.search.query import (
    MAX_QUERY_CHARS,
    Query,
    TsQueryParts,
    parse_query,
    repeated_terms,
    to_fts5,
    to_tsquery_parts,
    without_stopwords,
)


def test_terms_phrases_exclusions() -> None:
    q = parse_query('graph "neural network" -survey -"large language" attention')
    assert q.terms == ("graph", "attention")
    assert q.phrases == ("neural network",)
    assert q.excluded == ("survey", "large language")
    assert q.free_text == "graph attention neural network"


def test_filters() -> None:
    q = parse_query('author:hinton author:"Yann  LeCun" cat:cs.CL year:2023..2024 diffusion')
    assert q.authors == ("hinton", "Yann LeCun")
    assert q.categories == ("cs.CL",)
    assert (q.year_from, q.year_to) == (2023, 2024)
    assert q.terms == ("diffusion",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("year:2023", (2023, 2023)), ("year:2023..", (2023, None)), ("year:..2024", (None, 2024))],
)
def test_year_forms(text: str, expected: tuple[int | None, int | None]) -> None:
    q = parse_query(text)
    assert (q.year_from, q.year_to) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year:2025..2020", "year:2025..2020: start after end"),
        ("year:abc", "year:abc: expected a year"),
        ("year:2023..2024..2025", "expected a year"),
        ("year:2020 year:2021", "only one year"),
        ("-author:smith", "negated filters"),
    ],
)
def test_bad_filters_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        parse_query(text)


def test_unbalanced_quote_closes_at_end() -> None:
    assert parse_query('rag "retrieval augmented').phrases == ("retrieval augmented",)
    assert parse_query('-"open ended').excluded == ("open ended",)


def test_unknown_field_is_a_plain_term() -> None:
    q = parse_query("foo:bar title:transformers")
    assert q.terms == ("foo:bar", "title:transformers")
    assert q.authors == q.categories == ()


def test_syntax_characters_and_operators_are_dropped() -> None:
    q = parse_query("( NEAR * ^ : ) AND OR NOT (bert) ^gpt* and")
    assert q.terms == ("bert", "gpt", "and")


def test_long_query_is_truncated() -> None:
    q = parse_query("w" * 10_000)
    assert q.terms == ("w" * MAX_QUERY_CHARS,)


def test_empty_and_filter_only_queries() -> None:
    assert parse_query("").is_empty
    assert parse_query('   - " " ').is_empty
    only_filter = parse_query("cat:cs.LG")
    assert only_filter.is_empty and to_fts5(only_filter) is None


def test_to_fts5_shape() -> None:
    q = Query(terms=("a", 'x"y'), phrases=("neural net",), excluded=("survey",))
    assert to_fts5(q) == '("neural net" AND ("a" OR "x""y")) NOT ("survey")'
    assert to_fts5(q, require_all_terms=True) == (
        '("neural net" AND "a" AND "x""y") NOT ("survey")'
    )


def test_to_tsquery_parts() -> None:
    q = parse_query('or -"large language" "neural net" -x gpt')
    assert to_tsquery_parts(q) == TsQueryParts(
        all_of='"neural net" -"large language" -"x"', any_of='"or" or "gpt"'
    )
    assert to_tsquery_parts(parse_query("-x")) == TsQueryParts(None, None)
    assert to_tsquery_parts(parse_query('a "b c" -d'), require_all_terms=True) == TsQueryParts(
        all_of='"a" "b c" -"d"', any_of=None
    )


def test_stopwords_leave_the_keyword_query_unless_nothing_else_is_left() -> None:
    q = parse_query('The theory OF "state of the art" -the')
    assert without_stopwords(q) == Query(
        terms=("theory",), phrases=("state of the art",), excluded=("the",)
    )
    only_stopwords = parse_query("to be or not to be")
    assert without_stopwords(only_stopwords) == only_stopwords
    question = parse_query("What methods have been used for retrieval, and how well do they work?")
    assert without_stopwords(question).terms == ("methods", "used", "retrieval", "well", "work")


def test_repeated_words_are_counted_for_ranking_and_capped() -> None:
    q = parse_query("graph neural graph nets of graph Graph of graphs")
    assert q.terms == ("graph", "neural", "nets", "of", "Graph", "graphs")
    assert q.term_counts == (3, 1, 1, 2, 1, 1)
    assert q.free_text == "graph neural nets of Graph graphs"  # the embedder sees each once
    kept = without_stopwords(q)
    assert (kept.terms, kept.term_counts) == (
        ("graph", "neural", "nets", "Graph", "graphs"),
        (3, 1, 1, 1, 1),
    )
    assert repeated_terms(kept, at_most=2) == (
        "graph",
        "graph",
        "neural",
        "nets",
        "Graph",
        "graphs",
    )
    assert to_fts5(parse_query("b a b"), repeats=3) == '("b" OR "b" OR "a")'
    assert to_fts5(parse_query("b a b"), repeats=3, require_all_terms=True) == '"b" AND "b" AND "a"'
    assert parse_query("b a").term_counts == ()  # no repeats: the same Query as ever


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, abstract)")
    conn.executemany(
        "INSERT INTO t VALUES (?, ?)",
        [
            ("Attention is all you need", "The dominant sequence transduction models..."),
            ("BERT: pre-training", "We introduce a new language representation model NEAR x"),
            ("Graph neural networks", "A survey of GNN (AND/OR) methods: cs.CL"),
        ],
    )
    yield conn
    conn.close()


def test_fts5_finds_what_it_should(fts: sqlite3.Connection) -> None:
    def titles(text: str) -> list[str]:
        expression = to_fts5(parse_query(text))
        rows = fts.execute("SELECT title FROM t WHERE t MATCH ? ORDER BY rank", (expression,))
        return [r[0] for r in rows]

    assert titles("attention graph") == ["Attention is all you need", "Graph neural networks"]
    assert titles('"neural networks" -survey') == []
    assert titles("NEAR(bert") == ["BERT: pre-training"]
    assert titles("cs.CL") == ["Graph neural networks"]


_SYNTAX_WORDS = ["AND", "OR", "NOT", "NEAR", "author:", "year:"]
_QUERY_ALPHABET = st.sampled_from([*"abcXYZ019 -\"*^:()+.,'\\/@#\x00\t\néß中", *_SYNTAX_WORDS])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(_QUERY_ALPHABET, max_size=30).map("".join)))
def test_any_text_parses_and_matches_safely(fts: sqlite3.Connection, text: str) -> None:
    try:
        query = parse_query(text)
    except InputError:
        return
    for require_all in (False, True):
        expression = to_fts5(query, require_all_terms=require_all)
        if expression is not None:
            fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
    parts = to_tsquery_parts(query)
    for part in (parts.all_of, parts.any_of):
        assert part is None or part.count('"') % 2 == 0
