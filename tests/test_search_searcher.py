"""HybridSearcher on a small real store (SQLite + usearch, PostgreSQL + pgvector) with the
real bundled model: syntax, filters, sorting, snippets, similar papers, hostile input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dailypapers.config import load_settings
from dailypapers.errors import InputError
from dailypapers.models import SearchFilters
from dailypapers.runtime import Runtime
from dailypapers.search.embedder import Embedder, load_embedder, model_id_for
from dailypapers.search.searcher import Fusion, HybridSearcher
from search_helpers import indexed_store, paper_id


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(threads=2)


@pytest.fixture
def store(rt: Runtime, embedder: Embedder) -> Iterator[Runtime]:
    yield indexed_store(rt, embedder)


def _arxiv_ids(searcher: HybridSearcher, text: str, **kw: object) -> list[str | None]:
    return [h.paper.arxiv_id for h in searcher.search(text, **kw).hits]  # type: ignore[arg-type]


def test_meaning_finds_a_paper_that_shares_no_word_with_the_query(store: Runtime) -> None:
    assert _arxiv_ids(store.searcher, "amino acid folding")[0] == "2107.00001"


def test_keywords_and_syntax(store: Runtime) -> None:
    s = store.searcher
    assert _arxiv_ids(s, "diffusion")[0] == "2006.11239"
    phrase = _arxiv_ids(s, '"skip connections"')
    assert phrase and set(phrase) <= {"1512.03385"}
    assert "1512.03385" not in _arxiv_ids(s, "residual networks -ImageNet")
    assert _arxiv_ids(s, "learning author:schulman") == ["1707.06347"]
    assert set(_arxiv_ids(s, "image cat:cs.CV")) == {"1512.03385", "9912.00001"}
    assert set(_arxiv_ids(s, "learning year:2015..2016")) == {"1512.03385", "9912.00001"}


def test_filters_given_apart_and_browsing_without_text(store: Runtime) -> None:
    s = store.searcher
    code_in_cl = SearchFilters(has_code=True, categories=("cs.CL",))
    assert _arxiv_ids(s, "transformer attention", filters=code_in_cl) == ["1706.03762"]
    page = s.search("", filters=SearchFilters(categories=("cs.CV",)), sort="date")
    assert [h.paper.arxiv_id for h in page.hits] == ["9912.00001", "1512.03385"]
    assert page.total == 2
    assert s.search("").hits == []


def test_sort_by_date_and_paging(store: Runtime) -> None:
    s = store.searcher
    dated = s.search("learning", sort="date", limit=50).hits
    times = [h.paper.published_at for h in dated]
    assert times == sorted(times, key=lambda t: t.timestamp() if t else 0, reverse=True)
    first, second = s.search("learning", limit=2), s.search("learning", limit=2, offset=2)
    assert not {h.paper_id for h in first.hits} & {h.paper_id for h in second.hits}


def test_snippets_escape_everything_but_the_marks(store: Runtime) -> None:
    [hit, *_] = store.searcher.search("sorting").hits
    assert hit.title_html.startswith("Bounds for &lt;b&gt;<mark>sorting</mark>&lt;/b&gt; &amp;")
    assert "&lt;script&gt;" in hit.snippet_html and "<script>" not in hit.snippet_html
    assert "$a &lt; b$" in hit.snippet_html


def test_stopwords_the_keyword_leg_ignored_are_not_marked(store: Runtime) -> None:
    [hit, *_] = store.searcher.search("bounds for sorting").hits
    assert hit.title_html.startswith("<mark>Bounds</mark> for &lt;b&gt;<mark>sorting</mark>")


def test_similar_excludes_the_paper_and_its_duplicates(store: Runtime) -> None:
    resnet = paper_id(store, "1512.03385")
    similar = store.searcher.similar(resnet, k=3)
    ids = [h.paper.arxiv_id for h in similar]
    assert len(ids) == 3
    assert "1512.03385" not in ids and "9912.00001" not in ids


def test_bad_page_and_year_are_one_line_errors(store: Runtime) -> None:
    for call in (
        lambda: store.searcher.search("x", limit=0),
        lambda: store.searcher.search("x", offset=-1),
        lambda: store.searcher.search("x year:20"),
    ):
        with pytest.raises(InputError):
            call()


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        '"unbalanced quote',
        'NEAR(a b) * ^ : "" "',
        "'; DROP TABLE papers; --",
        "title:foo OR abstract:bar AND NOT",
        "Трансформеры 注意力机制 نماذج",
        "\ud800 lone surrogate",
        "-",
        "author: cat: year:..",
    ],
)
def test_hostile_input_gives_results_or_nothing(store: Runtime, text: str) -> None:
    page = store.searcher.search(text)
    assert page.total >= len(page.hits)


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_any_string_returns_a_page_or_an_input_error(store: Runtime, text: str) -> None:
    try:
        page = store.searcher.search(text, limit=5)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(page.hits) <= 5


def test_fusion_and_model_come_from_settings(tmp_path: Path) -> None:
    rt = Runtime(
        load_settings(
            data_dir=tmp_path,
            search_fusion="rrf",
            search_rrf_k=10,
            search_keyword_weight=0.7,
            search_min_similarity=0.5,
        )
    )
    try:
        expected = Fusion(method="rrf", rrf_k=10, alpha=0.7, min_similarity=0.5)
        assert rt.searcher.fusion == expected
        assert rt.embedding_model_id == model_id_for("default")
        assert rt.searcher.dense.configured == model_id_for("default")
    finally:
        rt.close()
