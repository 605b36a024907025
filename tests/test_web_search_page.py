"""The search page and similar papers over the real HybridSearcher, on both backends."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from dailypapers.runtime import Runtime
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.web.app import create_app
from search_helpers import PAPERS, add_papers, indexed_store, paper
from web_helpers import with_secret

ClientFor = Callable[[Runtime], TestClient]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(threads=2)


@pytest.fixture
def client_for() -> Iterator[ClientFor]:
    """Builds an in-process client on a prepared runtime; closes it after the test."""
    clients: list[TestClient] = []

    def build(rt: Runtime) -> TestClient:
        rt.settings = with_secret(rt.settings)
        clients.append(TestClient(create_app(rt, arxiv_fetch=lambda ids: [])).__enter__())
        return clients[-1]

    yield build
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(rt: Runtime, client_for: ClientFor) -> TestClient:
    """The test papers stored without vectors: keyword search only."""
    add_papers(rt, PAPERS)
    return client_for(rt)


def _titles(html: str) -> list[str]:
    """Result titles in page order, highlight marks removed."""
    found = re.findall(r'<h2 class="title"><a href="[^"]+">(.*?)</a></h2>', html)
    return [re.sub(r"</?mark>", "", t) for t in found]


def test_titles_and_snippets_are_highlighted_and_escaped(client: TestClient) -> None:
    html = client.get("/search", params={"q": "sorting"}).text
    assert "Bounds for &lt;b&gt;<mark>sorting</mark>&lt;/b&gt; &amp; searching" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "<mark>sorting</mark>" in html.split('class="snippet"')[1]
    assert 'href="/feeds/search.xml?q=sorting"' in html


def test_filters_and_sort(client: TestClient) -> None:
    def titles(**params: str) -> list[str]:
        response = client.get("/search", params=params)
        assert response.status_code == 200
        return _titles(response.text)

    residual = "Deep Residual Learning for Image Recognition"
    assert titles(q="residual") == [residual, residual]
    assert titles(q="residual", since="2016-01-01") == [residual]
    assert titles(q="residual", until="2015-12-31") == [residual]
    assert titles(q="learning", cat="cs.CV") == [residual, residual]
    assert titles(author="Schulman") == ["Proximal Policy Optimization Algorithms"]
    assert set(titles(code="on")) == {
        "Attention Is All You Need",
        "Denoising Diffusion Probabilistic Models",
    }
    assert "No papers match these filters" in client.get("/search?featured=on").text
    by_date = titles(q="attention diffusion policy", sort="date")
    assert by_date == [
        "Denoising Diffusion Probabilistic Models",
        "Proximal Policy Optimization Algorithms",
        "Attention Is All You Need",
    ]
    assert '<option value="date" selected>' in client.get("/search?q=x&sort=date").text


def test_pages(rt: Runtime, client_for: ClientFor) -> None:
    add_papers(rt, [paper(f"2401.{i:05d}", f"Graphene study {i}", "Graphene.") for i in range(25)])
    client = client_for(rt)
    first = client.get("/search", params={"q": "graphene"}).text
    assert "25 results" in first and len(_titles(first)) == 20
    assert "Page 1 of 2" in first and 'rel="prev"' not in first
    next_page = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_page
    second = client.get(next_page[1].replace("&amp;", "&")).text
    assert len(_titles(second)) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    assert not set(_titles(first)) & set(_titles(second))


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced quote',
        "attention\"'",
        "x" * 10_000,
        "attention " * 1_000,
        'NEAR(attention transformer, 2) OR title:* AND ^col "a" NOT',
        "'; DROP TABLE papers; --",
        "1 OR 1=1 UNION SELECT * FROM users",
        "注意力机制 трансформер الانتباه",
        "\x1f\u202e",
        "-",
        "author: cat: year:",
    ],
)
def test_odd_queries_are_searched_as_words(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200
    assert 'role="search"' in response.text and "could not be run" not in response.text


def test_a_nul_in_the_query_is_a_400_with_a_reason(client: TestClient) -> None:
    # PostgreSQL cannot hold or compare NUL, so every address refuses it up front (#11).
    response = client.get("/search", params={"q": "\x00\x1f\u202e"})
    assert response.status_code == 400
    assert "NUL characters are not allowed" in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "year:2025..2020"}, "start after end"),
        ({"q": "year:20"}, "expected a year"),
        ({"q": "attention", "since": "2025-13-45"}, "invalid date"),
        ({"q": "attention", "page": "0"}, "page must be 1 or more"),
        ({"q": "attention", "page": "100000"}, "offset must be between"),
    ],
)
def test_meaningless_searches_get_the_form_and_a_reason(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and message in response.text
    assert 'role="search"' in response.text


def test_malformed_parameters_are_a_400_page(client: TestClient) -> None:
    for params in ({"page": "two"}, {"sort": "'; DROP"}, {"code": "maybe"}):
        assert client.get("/search", params={"q": "x", **params}).status_code == 400


def test_similar_papers_appear_once_vectors_exist(
    rt: Runtime, embedder: Embedder, client_for: ClientFor
) -> None:
    client = client_for(indexed_store(rt, embedder))
    html = client.get("/papers/1512.03385").text
    section = html.split('id="similar-h"')[1].split("</section>")[0]
    assert "/papers/9912.00001" not in section  # the copy of the same paper is left out
    assert section.count("<li>") == 5  # every other test paper: k is 5


def test_no_similar_section_without_vectors(client: TestClient) -> None:
    html = client.get("/papers/1512.03385").text
    assert "Deep Residual Learning" in html and "Similar papers" not in html


def test_every_sort_has_a_label_on_the_search_page() -> None:
    from dailypapers.models import SEARCH_SORTS
    from dailypapers.web.pages import SORT_LABELS

    assert tuple(SORT_LABELS) == SEARCH_SORTS
