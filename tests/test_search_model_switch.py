"""A model change re-embeds in the background, resumably, while search keeps using the old
model's vectors and embedder; the new model takes over once it covers every paper.

Two real models: the bundled MiniLM reading 256 tokens (A) and the same model reading 16
(B), whose vectors differ and whose model id differs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.config import Settings
from dailypapers.models import SearchFilters
from dailypapers.runtime import Runtime
from dailypapers.search.dense import ServingIndex, UsearchFileIndex
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.search.query import parse_query
from dailypapers.search.sync import DEFAULT_BATCH, BackgroundSync, pending, progress
from dailypapers.services.submissions import make_findable
from dailypapers.store import search as store
from dailypapers.store.schema import paper_embeddings, vector_models
from search_helpers import PAPERS, add_papers, paper_id

QUERY = "predicting how proteins fold"


@pytest.fixture(scope="module")
def model_a() -> Embedder:
    return load_embedder(threads=2)


@pytest.fixture(scope="module")
def model_b() -> Embedder:
    return load_embedder(max_length=16, threads=2)


@pytest.fixture
def runtimes(settings: Settings) -> Iterator[list[Runtime]]:
    """Runtimes made by a test on its one database, closed at the end."""
    made: list[Runtime] = []
    yield made
    for rt in made:
        rt.close()


def _runtime(
    settings: Settings, embedder: Embedder, runtimes: list[Runtime], max_length: int
) -> Runtime:
    """A process configured for one model, with that model already loaded (as a restart
    would load it)."""
    rt = Runtime(settings.model_copy(update={"embedding_max_length": max_length}))
    rt.ensure_schema()
    assert rt.embedding_model_id == embedder.model_id
    rt.embedder = embedder
    runtimes.append(rt)
    return rt


def _embedded(settings: Settings, embedder: Embedder, runtimes: list[Runtime]) -> Runtime:
    """A runtime on ``embedder`` (256 tokens) whose store holds PAPERS, all embedded."""
    rt = _runtime(settings, embedder, runtimes, 256)
    add_papers(rt, PAPERS)
    rt.sync_vectors()
    return rt


def _dense(rt: Runtime) -> list[tuple[int, float]]:
    return rt.searcher.legs(parse_query(QUERY), SearchFilters(), depth=5).dense


def _embedded_at(rt: Runtime, model_id: str) -> dict[int, object]:
    e = paper_embeddings.c
    with rt.engine.connect() as conn:
        rows = conn.execute(sa.select(e.paper_id, e.embedded_at).where(e.model_id == model_id))
        return {pid: at for pid, at in rows}


def test_search_serves_the_old_model_until_the_new_one_covers_every_paper(
    settings: Settings, runtimes: list[Runtime], model_a: Embedder, model_b: Embedder
) -> None:
    a, b = model_a.model_id, model_b.model_id
    assert a != b
    old = _runtime(settings, model_a, runtimes, 256)
    add_papers(old, PAPERS)
    assert old.sync_vectors().embedded == len(PAPERS)
    before = _dense(old)
    alphafold = paper_id(old, "2107.00001")
    assert before[0][0] == alphafold

    # The setting changes to B; the background embedder is stopped after its first batch.
    new = _runtime(settings, model_b, runtimes, 16)

    def crash(_n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        new.sync_vectors(batch_size=3, on_batch=crash)
    assert pending(new.engine, b) == len(PAPERS) - 3
    state = progress(new.engine, b)
    assert (state.serving, state.embedded, state.papers, state.switching) == (
        a,
        3,
        len(PAPERS),
        True,
    )
    # Searches in the new configuration still use A's vectors and A's query embedder.
    assert new.searcher.dense.model_id == a
    assert _dense(new) == before
    assert new.embedder_for(a).model_id == a
    assert len(_embedded_at(new, a)) == len(PAPERS)
    first_batch = _embedded_at(new, b)
    assert len(first_batch) == 3

    # A restart resumes: only the papers not yet done are embedded, then B takes over.
    restarted = _runtime(settings, model_b, runtimes, 16)
    assert restarted.sync_vectors(batch_size=3).embedded == len(PAPERS) - 3
    after = _embedded_at(restarted, b)
    assert len(after) == len(PAPERS)
    assert {pid: after[pid] for pid in first_batch} == first_batch
    with restarted.engine.connect() as conn:
        assert store.serving_model(conn) == b
        assert list(conn.execute(sa.select(vector_models.c.model_id)).scalars()) == [b]
    assert _embedded_at(restarted, a) == {}
    assert restarted.searcher.dense.model_id == b
    ranked = _dense(restarted)
    assert ranked[0][0] == alphafold
    # The scores are B's: cosine of B's query vector with B's stored vectors.
    query = model_b.embed([parse_query(QUERY).free_text])[0]
    with restarted.engine.connect() as conn:
        stored = store.vector_of(conn, alphafold, b)
    assert stored is not None
    assert ranked[0][1] == pytest.approx(float(query @ stored), abs=2e-3)
    assert ranked != before

    # The process that was interrupted (say, a web worker) follows the switch.
    new.searcher.dense.refresh()
    assert _dense(new) == ranked
    dense = new.searcher.dense
    assert isinstance(dense, ServingIndex)
    old_index = dense.index_for(a)
    if isinstance(old_index, UsearchFileIndex):
        assert not old_index.path.exists()


def test_a_serving_model_that_cannot_be_loaded_here_is_replaced_at_once(
    settings: Settings, runtimes: list[Runtime], model_a: Embedder
) -> None:
    """Vectors of a model this installation cannot embed queries with are useless: the
    configured model takes over without waiting, and until then the keyword leg answers."""
    rt = _runtime(settings, model_a, runtimes, 256)
    add_papers(rt, PAPERS[:3])
    rows = [
        {
            "paper_id": pid,
            "model_id": "gone-model@000000000000",
            "content_hash": "x",
            "text_hash": "x",
            "vector": np.full(model_a.dim, 0.05, dtype=np.float32),
        }
        for pid in (paper_id(rt, r.arxiv_id or "") for r in PAPERS[:3])
    ]
    with rt.engine.begin() as conn:
        store.register_model(conn, "gone-model@000000000000")
        store.save_embeddings(conn, rows)
    assert _dense(rt) == []
    rt.sync_vectors(batch_size=2, on_batch=lambda _n: None)
    assert rt.searcher.dense.model_id == model_a.model_id
    assert _dense(rt)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_background_embedder_of_serve_makes_the_switch(
    settings: Settings, runtimes: list[Runtime], model_a: Embedder, model_b: Embedder
) -> None:
    _embedded(settings, model_a, runtimes)
    new = _runtime(settings, model_b, runtimes, 16)
    report = BackgroundSync(new).tick()  # one pass of `serve`'s vector-sync thread
    assert report is not None and report.embedded == len(PAPERS)
    assert new.searcher.dense.model_id == model_b.model_id
    assert _embedded_at(new, model_a.model_id) == {}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_submission_during_a_model_change_leaves_the_embedding_to_the_background(
    settings: Settings, runtimes: list[Runtime], model_a: Embedder, model_b: Embedder
) -> None:
    old = _embedded(settings, model_a, runtimes)
    more = [
        dataclasses.replace(PAPERS[0], arxiv_id=f"2403.{i:05d}", title=f"Paper number {i}")
        for i in range(DEFAULT_BATCH)
    ]
    add_papers(old, more)
    new = _runtime(settings, model_b, runtimes, 16)
    waiting = pending(new.engine, model_b.model_id)
    assert waiting == len(PAPERS) + DEFAULT_BATCH
    make_findable(new)  # what a submission does after storing its paper
    assert pending(new.engine, model_b.model_id) == waiting


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reindex_status_shows_the_progress_of_a_model_change(
    settings: Settings,
    runtimes: list[Runtime],
    model_a: Embedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _embedded(settings, model_a, runtimes)
    monkeypatch.setenv("DAILYPAPERS_EMBEDDING_MAX_LENGTH", "16")
    result = CliRunner().invoke(app, ["reindex", "--status"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())  # as wrapped to the terminal's width
    assert f"/max16: 0 of {len(PAPERS)} papers embedded (0%)" in shown
    assert f"searches use {model_a.model_id} until the configured model is complete" in shown
