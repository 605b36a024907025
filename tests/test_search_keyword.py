"""Keyword search in the database: FTS5 on SQLite, tsvector on PostgreSQL, kept in step by
the database itself (no sync call anywhere in this file)."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from dailypapers.models import SearchFilters
from dailypapers.runtime import Runtime
from dailypapers.search.keyword import Fts5Index, keyword_index_for
from dailypapers.search.query import parse_query
from search_helpers import PAPERS, add_papers, delete_paper, paper, paper_id

NO_FILTERS = SearchFilters()
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _ids(rt: Runtime, text: str, filters: SearchFilters = NO_FILTERS) -> list[int]:
    index = keyword_index_for(rt.engine)
    with rt.engine.connect() as conn:
        return [i for i, _ in index.search(conn, parse_query(text), k=20, filters=filters)]


@pytest.fixture
def store(rt: Runtime) -> Runtime:
    add_papers(rt, PAPERS)
    return rt


def test_finds_stemmed_words_and_ranks_title_matches_first(store: Runtime) -> None:
    ids = _ids(store, "diffusion model")
    assert ids[0] == paper_id(store, "2006.11239")
    assert paper_id(store, "2006.11239") in _ids(store, "denoise")


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("diffusions", "2006.11239"),  # stemmed: diffusion(s), model(s)
        ("denoised diffusion models", "2006.11239"),
        ("transformers for translation", "1706.03762"),
        ("residual networks on imagenet", "1512.03385"),
        ("What is the role of skip connections in very deep networks?", "1512.03385"),
    ],
)
def test_both_backends_put_the_same_paper_first(store: Runtime, text: str, first: str) -> None:
    """Simple queries: SQLite (bm25) and PostgreSQL (IDF x ts_rank) agree on the top paper;
    the question keeps finding it though no paper has all of its words."""
    assert _ids(store, text)[0] == paper_id(store, first)


def test_a_question_finds_papers_without_every_word(store: Runtime) -> None:
    text = "Which papers explain how Gaussian noise is removed step by step, and with what sampler?"
    ids = _ids(store, text)
    assert ids and ids[0] == paper_id(store, "2006.11239")


def test_all_words_first_then_any_word(store: Runtime) -> None:
    residual = {paper_id(store, "1512.03385"), paper_id(store, "9912.00001")}
    both = _ids(store, "residual imagenet")
    assert both[0] == paper_id(store, "1512.03385") and set(both) <= residual
    assert set(_ids(store, "residual transformer")) >= residual | {paper_id(store, "1706.03762")}


def test_phrase_and_exclusion(store: Runtime) -> None:
    assert set(_ids(store, '"residual networks"')) == {
        paper_id(store, "1512.03385"),
        paper_id(store, "9912.00001"),
    }
    assert _ids(store, '"networks residual"') == []
    ids = _ids(store, "residual -ImageNet")
    assert ids == [paper_id(store, "9912.00001")]


def test_filters_apply_in_sql(store: Runtime) -> None:
    cv = SearchFilters(categories=("cs.CV",))
    assert set(_ids(store, "learning", cv)) == {
        paper_id(store, "1512.03385"),
        paper_id(store, "9912.00001"),
    }
    assert _ids(store, "learning", SearchFilters(authors=("schulman",))) == [
        paper_id(store, "1707.06347")
    ]
    assert _ids(store, "attention", SearchFilters(has_code=True)) == [paper_id(store, "1706.03762")]
    assert _ids(store, "attention", SearchFilters(categories=("cs",))) == [
        paper_id(store, "1706.03762")
    ]


def test_new_edited_and_deleted_papers_are_reflected_at_once(store: Runtime) -> None:
    [new] = add_papers(
        store,
        [dataclasses.replace(PAPERS[0], arxiv_id="2401.99999", title="Zebrafish locomotion atlas")],
    )
    assert _ids(store, "zebrafish") == [new]
    edited = dataclasses.replace(PAPERS[4], abstract="Trust regions for walking robots.")
    add_papers(store, [edited])
    assert _ids(store, "surrogate") == []
    assert _ids(store, "robots") == [paper_id(store, "1707.06347")]
    delete_paper(store, new)
    assert _ids(store, "zebrafish") == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_authors_are_searchable_words(store: Runtime) -> None:
    assert _ids(store, "Vaswani") == [paper_id(store, "1706.03762")]
    # The title still counts more than an author's name (on PostgreSQL since 0016).
    [namesake] = add_papers(store, [paper("2401.30001", "Shazeer transforms", "On a method.")])
    assert _ids(store, "Shazeer") == [namesake, paper_id(store, "1706.03762")]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fts_rebuild_restores_the_index(store: Runtime) -> None:
    index = keyword_index_for(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM papers_fts"))
    assert _ids(store, "diffusion") == []
    with store.engine.begin() as conn:
        index.rebuild(conn)
    assert _ids(store, "diffusion") == [paper_id(store, "2006.11239")]


def test_a_word_repeated_in_the_query_weighs_more(store: Runtime) -> None:
    """Long questions name their subject several times; BM25's query side counts that."""
    zebra, road = add_papers(
        store,
        [
            paper("2401.20001", "Zebra stripes", "The stripes of a zebra."),
            paper("2401.20002", "Road network", "A survey of roads."),
        ],
    )
    assert _ids(store, "network zebra")[:2] == [zebra, road]
    assert _ids(store, "network zebra network network")[:2] == [road, zebra]


@SQLITE_ONLY
def test_query_repeats_are_capped(store: Runtime) -> None:
    zebra, road = add_papers(
        store,
        [
            paper("2401.20001", "Zebra stripes", "The stripes of a zebra."),
            paper("2401.20002", "Road network", "A survey of roads."),
        ],
    )
    once = Fts5Index(query_repeats=1)
    assert _fts5_ids(store, once, "network zebra network network", k=2) == [zebra, road]


def _fts5_ids(rt: Runtime, index: Fts5Index, text: str, k: int) -> list[int]:
    with rt.engine.connect() as conn:
        return [i for i, _ in index.search(conn, parse_query(text), k=k, filters=NO_FILTERS)]


@pytest.fixture
def common_words(rt: Runtime) -> Runtime:
    """Papers where "model" and "network" are common and "zebra" is rare: the ids are in
    insertion order, and the zebra papers differ in how often they say "zebra"."""
    records = [
        paper(f"2401.{i:05d}", f"Network model {i}", f"A model of a network, version {i}.")
        for i in range(1, 7)
    ] + [
        paper("2401.10001", "Zebra network model", "A model of a network of zebra herds."),
        paper("2401.10002", "Zebra zebra zebra", "A zebra network model for zebra zebra herds."),
        paper("2401.10003", "Zebra stripes", "A network model of the stripes of a zebra."),
    ]
    add_papers(rt, records)
    return rt


@SQLITE_ONLY
def test_common_words_must_match_but_only_rare_ones_are_scored(common_words: Runtime) -> None:
    """Past the document-frequency limit a word filters without bm25() reading its postings:
    papers with every word, ranked as by the rare word alone."""
    capped = Fts5Index(scored_df_limit=4)
    zebra = _fts5_ids(common_words, Fts5Index(), "zebra", k=3)
    assert zebra[0] == paper_id(common_words, "2401.10002") and len(zebra) == 3
    assert _fts5_ids(common_words, capped, "zebra model network", k=3) == zebra
    stripes = paper_id(common_words, "2401.10003")
    assert _fts5_ids(common_words, capped, "zebra model network -herds", k=1) == [stripes]


@SQLITE_ONLY
def test_a_large_store_scores_only_the_newest_candidates(common_words: Runtime) -> None:
    """Past SCORED_DF_LIMIT papers, bm25() ranks only the newest papers with every word: the
    oldest zebra paper drops out although full scoring ranks it (its title says zebra)."""
    ids = {k: paper_id(common_words, f"2401.1000{k}") for k in (1, 2, 3)}
    full = _fts5_ids(common_words, Fts5Index(scored_df_limit=4), "zebra model network", k=3)
    assert sorted(full) == sorted(ids.values())
    newest_two = Fts5Index(scored_df_limit=4, scored_candidates=2)
    capped = _fts5_ids(common_words, newest_two, "zebra model network", k=2)
    assert sorted(capped) == sorted([ids[2], ids[3]])
    assert capped == [i for i in full if i != ids[1]]  # same order as full bm25 among them


@SQLITE_ONLY
def test_only_common_words_rank_the_newest_matches_first(common_words: Runtime) -> None:
    full = _fts5_ids(common_words, Fts5Index(), "network model", k=5)
    newest = _fts5_ids(common_words, Fts5Index(scored_df_limit=4), "network model", k=5)
    assert newest == sorted(newest, reverse=True) and len(newest) == 5
    assert newest != full  # bm25 prefers the short "Network model N" papers
    one_word = _fts5_ids(common_words, Fts5Index(scored_df_limit=4), "network", k=5)
    assert one_word == newest  # one word: any word is every word


@SQLITE_ONLY
def test_the_any_word_fallback_scores_every_word(common_words: Runtime) -> None:
    """Long questions (no paper has every word) keep full bm25: that is where the eval
    collections' quality comes from, and dropping common words there lost up to half of it."""
    text = "zebra network unicorn"
    assert _fts5_ids(common_words, Fts5Index(scored_df_limit=4), text, k=20) == _fts5_ids(
        common_words, Fts5Index(), text, k=20
    )
