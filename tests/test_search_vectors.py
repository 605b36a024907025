"""HNSW against brute force, persistence and removal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dailypapers.errors import ConfigError
from dailypapers.search.vectors import ExactIndex, UsearchIndex, sidecar_path

DIM = 384


def unit_vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray]:
    return np.arange(5000, dtype=np.int64) * 3 + 1, unit_vectors(5000, seed=1)


@pytest.fixture(scope="module")
def hnsw(corpus: tuple[np.ndarray, np.ndarray]) -> UsearchIndex:
    index = UsearchIndex(DIM, model_id="test-model")
    index.add(*corpus)
    return index


def test_recall_at_10_vs_brute_force(
    corpus: tuple[np.ndarray, np.ndarray], hnsw: UsearchIndex
) -> None:
    exact = ExactIndex(DIM)
    exact.add(*corpus)
    recalls = []
    for query in unit_vectors(100, seed=2):
        truth = {i for i, _ in exact.search(query, 10)}
        found = {i for i, _ in hnsw.search(query, 10)}
        recalls.append(len(truth & found) / 10)
    assert np.mean(recalls) >= 0.95


def test_similarity_is_cosine(corpus: tuple[np.ndarray, np.ndarray], hnsw: UsearchIndex) -> None:
    ids, vectors = corpus
    best_id, similarity = hnsw.search(vectors[7], 1)[0]
    assert best_id == ids[7]
    assert similarity == pytest.approx(1.0, abs=1e-3)  # f16 storage


def test_save_load_mmap_round_trip(tmp_path: Path, hnsw: UsearchIndex) -> None:
    path = tmp_path / "papers.usearch"
    hnsw.save(path)
    assert json.loads(sidecar_path(path).read_text())["count"] == 5000
    query = unit_vectors(1, seed=3)[0]
    for mmap in (True, False):
        loaded = UsearchIndex.load(path, mmap=mmap)
        assert (loaded.model_id, loaded.dim, len(loaded)) == ("test-model", DIM, 5000)
        assert loaded.search(query, 10) == hnsw.search(query, 10)
    assert not list(tmp_path.glob("*.tmp"))


def test_mmap_index_is_read_only(tmp_path: Path) -> None:
    index = UsearchIndex(DIM, model_id="m")
    index.add(np.array([1]), unit_vectors(1, seed=4))
    index.save(tmp_path / "i.usearch")
    with pytest.raises(RuntimeError):
        UsearchIndex.load(tmp_path / "i.usearch").add(np.array([2]), unit_vectors(1, seed=5))


def test_missing_or_mismatched_sidecar(tmp_path: Path) -> None:
    index = UsearchIndex(DIM, model_id="m")
    index.add(np.array([1, 2]), unit_vectors(2, seed=6))
    path = tmp_path / "i.usearch"
    index.save(path)
    meta = json.loads(sidecar_path(path).read_text())
    sidecar_path(path).write_text(json.dumps({**meta, "count": 3}))
    with pytest.raises(ConfigError, match="rebuild"):
        UsearchIndex.load(path)
    sidecar_path(path).unlink()
    with pytest.raises(ConfigError, match="metadata"):
        UsearchIndex.load(path)


@pytest.mark.parametrize("kind", ["hnsw", "exact"])
def test_remove_and_replace(kind: str) -> None:
    vectors = unit_vectors(3, seed=7)
    index = UsearchIndex(DIM, model_id="m") if kind == "hnsw" else ExactIndex(DIM)
    index.add(np.array([10, 20, 30]), vectors)
    index.remove(np.array([20, 99]))
    assert len(index) == 2
    assert 20 not in {i for i, _ in index.search(vectors[1], 3)}
    index.add(np.array([10]), vectors[1:2])  # replaces id 10's vector
    assert len(index) == 2
    assert index.search(vectors[1], 1)[0][0] == 10


def test_empty_and_bad_input() -> None:
    for index in (UsearchIndex(DIM, model_id="m"), ExactIndex(DIM)):
        assert index.search(unit_vectors(1, seed=8)[0], 5) == []
        with pytest.raises(ValueError, match="duplicate"):
            index.add(np.array([1, 1]), unit_vectors(2, seed=9))
