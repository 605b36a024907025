"""Freshness: imports, edits and deletions reach both search legs; reindex resumes; another
model's vectors are kept beside the first's."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest

from dailypapers.models import SearchFilters
from dailypapers.runtime import Runtime
from dailypapers.search.dense import UsearchFileIndex, dense_index_for
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.search.query import parse_query
from dailypapers.search.sync import embed_stale, pending, sync
from dailypapers.search.vectors import UsearchIndex
from search_helpers import PAPERS, add_papers, delete_paper, indexed_store, paper_id

PLANTS = dataclasses.replace(
    PAPERS[0],
    arxiv_id="2402.00001",
    title="Photosynthesis under drought",
    abstract="Leaves close their stomata when water is scarce, reducing carbon fixation.",
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(threads=2)


@pytest.fixture
def store(rt: Runtime, embedder: Embedder) -> Runtime:
    return indexed_store(rt, embedder)


def _legs(rt: Runtime, text: str) -> tuple[list[int], list[int]]:
    legs = rt.searcher.legs(parse_query(text), SearchFilters(), depth=3)
    return [i for i, _ in legs.keyword], [i for i, _ in legs.dense]


def test_an_import_is_found_by_keyword_at_once_and_by_meaning_after_sync(
    store: Runtime, embedder: Embedder
) -> None:
    [new] = add_papers(store, [PLANTS])
    assert _legs(store, "photosynthesis")[0] == [new]
    assert new not in _legs(store, "plants without enough water")[1]
    report = sync(store.engine, embedder, store.searcher.dense)
    assert report.embedded == 1
    assert _legs(store, "plants without enough water")[1][0] == new


def test_an_edit_is_re_embedded_but_new_upvotes_are_not(store: Runtime, embedder: Embedder) -> None:
    ppo = paper_id(store, "1707.06347")
    add_papers(store, [dataclasses.replace(PAPERS[4], upvotes=99)])
    assert sync(store.engine, embedder, store.searcher.dense).embedded == 0
    edited = dataclasses.replace(PAPERS[4], abstract="Photosynthesis of leaves in dry summers.")
    add_papers(store, [edited])
    assert pending(store.engine, embedder.model_id) == 1
    assert sync(store.engine, embedder, store.searcher.dense).embedded == 1
    assert _legs(store, "plants without enough water")[1][0] == ppo
    assert ppo not in _legs(store, "surrogate objective")[0]


def test_a_deleted_paper_leaves_both_legs_and_the_index_file(
    store: Runtime, embedder: Embedder
) -> None:
    alphafold = paper_id(store, "2107.00001")
    found = [h.paper_id for h in store.searcher.search("protein folding").hits]
    assert alphafold in found
    delete_paper(store, alphafold)
    # Before the index is refreshed the vector leg may still name it; results never do.
    assert alphafold not in [h.paper_id for h in store.searcher.search("protein folding").hits]
    sync(store.engine, embedder, store.searcher.dense)
    assert alphafold not in _legs(store, "protein folding")[1]
    dense = store.searcher.dense
    if isinstance(dense, UsearchFileIndex):
        assert alphafold not in UsearchIndex.load(dense.path).ids()


def test_reindex_resumes_after_an_interruption(rt: Runtime, embedder: Embedder) -> None:
    add_papers(rt, PAPERS)

    def stop_after_first_batch(_n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_stale(rt.engine, embedder, batch_size=3, on_batch=stop_after_first_batch)
    assert pending(rt.engine, embedder.model_id) == len(PAPERS) - 3
    assert embed_stale(rt.engine, embedder, batch_size=3).embedded == len(PAPERS) - 3
    assert pending(rt.engine, embedder.model_id) == 0


class _OtherModel(Embedder):
    """The same vectors under another model id: stands in for a model change."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner

    @property
    def model_id(self) -> str:
        return "other-model"

    @property
    def dim(self) -> int:
        return self._inner.dim

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self._inner.embed(texts, batch_size=batch_size)


def test_a_second_model_is_embedded_beside_the_first(store: Runtime, embedder: Embedder) -> None:
    """Vectors are keyed by (paper, model): another model's vectors leave the first's alone
    (tests/test_search_model_switch.py covers switching between them)."""
    other = _OtherModel(embedder)
    assert pending(store.engine, other.model_id) == len(PAPERS)
    dense = dense_index_for(
        store.engine, store.settings.data_dir / "search", model_id="other-model"
    )
    assert sync(store.engine, other, dense).embedded == len(PAPERS)
    assert pending(store.engine, embedder.model_id) == 0
    assert pending(store.engine, other.model_id) == 0
    assert dense.search(embedder.embed(["diffusion models"])[0], 1)[0][0] == paper_id(
        store, "2006.11239"
    )
