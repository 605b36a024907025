"""Search by meaning from the first run (bundled vectors) and kept current by serve's sync."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dailypapers.cli.data import load_sample
from dailypapers.ingest.bundled import SAMPLE_VECTORS
from dailypapers.models import PaperRecord
from dailypapers.runtime import Runtime
from dailypapers.search.sync import BackgroundSync, seed, semantic_search_enabled
from dailypapers.store.database import transaction
from dailypapers.store.papers import upsert_papers

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_sample_arrives_with_vectors_for_every_paper(rt: Runtime) -> None:
    load_sample(rt)
    assert semantic_search_enabled(rt.engine)
    with np.load(SAMPLE_VECTORS) as data:
        assert str(data["model_id"]) == rt.embedder.model_id
    # Nothing was left for the model to embed: every sample paper had a bundled vector.
    report = BackgroundSync(rt).tick()
    assert report is not None and report.embedded == 0
    page = rt.searcher.search("teaching robots to grasp objects", limit=5)
    assert page.hits
    pid = page.hits[0].paper_id
    similar = rt.searcher.similar(pid, k=5)
    assert similar and pid not in {h.paper_id for h in similar}


def test_vectors_of_another_model_are_not_used(rt: Runtime, tmp_path: Path) -> None:
    other = tmp_path / "other.npz"
    with np.load(SAMPLE_VECTORS) as data:
        np.savez(other, keys=data["keys"], vectors=data["vectors"], model_id=np.array("x@1"))
    assert not seed(rt.engine, rt.searcher.dense, other)
    assert not semantic_search_enabled(rt.engine)


def test_background_sync_makes_a_new_paper_findable_by_meaning(rt: Runtime) -> None:
    load_sample(rt)
    record = PaperRecord(
        title="Zyxwv: a quokka census from drone photographs",
        abstract="We count small marsupials on Rottnest Island from aerial images.",
        arxiv_id="2611.99999",
    )
    with transaction(rt.engine) as conn:
        (pid,) = upsert_papers(conn, [record]).paper_ids
    report = BackgroundSync(rt).tick()
    assert report is not None and report.embedded == 1
    near = rt.searcher.dense.search(
        rt.embedder.embed(["counting animals in aerial pictures"])[0], 5
    )
    assert pid in [paper_id for paper_id, _ in near]


def test_nonsense_finds_nothing_although_every_vector_has_a_nearest_neighbour(rt: Runtime) -> None:
    load_sample(rt)
    assert rt.searcher.search("zzzqqq xqzv", limit=5).hits == []
    assert rt.searcher.search("video diffusion models", limit=5).hits
