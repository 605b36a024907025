"""The per-reader model: the pure maths, then signals → stored weights → rankings with reasons
over a real store (SQLite and PostgreSQL) and the bundled embedder."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from dailypapers.errors import InputError, NotFound
from dailypapers.recommend import model as rec
from dailypapers.recommend.reader import Recommender
from dailypapers.runtime import Runtime
from dailypapers.search.embedder import Embedder, load_embedder
from dailypapers.search.sync import sync
from dailypapers.services import foryou
from dailypapers.store import readers
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers
from dailypapers.store.users import create_user
from search_helpers import add_papers, indexed_store, paper, paper_id


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _clusters(rng: np.random.Generator, dim: int = 48) -> tuple[np.ndarray, np.ndarray]:
    centre = rng.normal(size=dim)
    liked = _unit(centre + 0.6 * rng.normal(size=(20, dim)))
    others = _unit(rng.normal(size=(200, dim)))
    return liked, others


def test_fit_learns_the_liked_direction_and_a_warm_refit_stays_close() -> None:
    rng = np.random.default_rng(1)
    liked, others = _clusters(rng)
    empty = np.empty((0, liked.shape[1]), dtype=np.float32)
    examples = rec.Examples(liked[:15], empty, others[:150])
    cold = rec.fit(examples, model_id="m")
    assert cold is not None and cold.dim == liked.shape[1]
    held_out = rec.score(cold, np.vstack([liked[15:], others[150:]]))
    # every held-out liked paper outscores every held-out other paper
    assert held_out[:5].min() > held_out[5:].max()
    warm = rec.fit(examples, model_id="m", warm=cold)
    assert warm is not None
    assert np.allclose(warm.vector, cold.vector, atol=1e-3)


def test_fit_without_positives_is_none_and_a_foreign_warm_start_is_ignored() -> None:
    rng = np.random.default_rng(2)
    liked, others = _clusters(rng)
    nothing = np.empty((0, liked.shape[1]), dtype=np.float32)
    assert rec.fit(rec.Examples(nothing, others[:5], others[5:]), model_id="m") is None
    foreign = rec.Weights("other-model", np.ones(liked.shape[1], dtype=np.float32), 9.0)
    examples = rec.Examples(liked, nothing, others)
    assert np.allclose(
        rec.fit(examples, model_id="m", warm=foreign).vector,  # type: ignore[union-attr]
        rec.fit(examples, model_id="m").vector,  # type: ignore[union-attr]
    )


def test_explicit_negatives_push_their_direction_down() -> None:
    rng = np.random.default_rng(3)
    liked, others = _clusters(rng)
    target = liked[3]
    near_target = _unit((target + 0.05 * rng.normal(size=target.shape))[None, :])
    empty = np.empty((0, liked.shape[1]), dtype=np.float32)
    before = rec.fit(rec.Examples(liked, empty, others), model_id="m")
    after = rec.fit(rec.Examples(liked[4:], near_target, others), model_id="m")
    assert before is not None and after is not None
    assert rec.score(after, near_target)[0] < rec.score(before, near_target)[0]


def test_top_k_and_author_affinity() -> None:
    scores = np.array([0.1, 3.0, -1.0, 2.0, 2.0], dtype=np.float32)
    assert rec.top_k(scores, 3).tolist() == [1, 3, 4]
    assert rec.top_k(scores, 99).tolist() == [1, 3, 4, 0, 2]
    assert rec.top_k(scores, 0).tolist() == []
    got = rec.author_affinity(
        [["Ada  LOVELACE"], ["Alan Turing", "Grace Hopper"], []],
        followed={"ada lovelace"},
        liked={"grace hopper": 3},
    )
    assert got[0] == pytest.approx(rec.AUTHOR_WEIGHT)
    assert got[1] == pytest.approx(rec.LIKED_AUTHOR_WEIGHT * np.log1p(3))
    assert got[2] == 0.0
    ages = np.array([0.0, rec.RECENCY_HALF_LIFE_DAYS, -5.0])
    assert rec.recency(ages).tolist() == pytest.approx([1.0, 0.5, 1.0])


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(threads=2)


@pytest.fixture
def store(rt: Runtime, embedder: Embedder) -> Iterator[Runtime]:
    yield indexed_store(rt, embedder)


SCORE_SDE = paper(
    "2011.13456",
    "Score-Based Generative Modeling through Stochastic Differential Equations",
    "Creating noise from data is easy; creating data from noise is generative modeling. A "
    "stochastic differential equation transforms a complex data distribution to a known prior "
    "by slowly injecting noise, and a reverse-time SDE removes it to generate images.",
    authors=["Yang Song"],
)


def _reader(rt: Runtime, name: str = "reader") -> int:
    with transaction(rt.engine) as conn:
        return create_user(conn, name, email=None, password_hash="x").id


def _ranked_ids(rt: Runtime, uid: int) -> list[str | None]:
    every = list(range(1, 100))
    return [r.paper.arxiv_id for r in rt.recommender.rank(uid, every)]


def test_signals_teach_the_model_and_each_ranking_says_why(store: Runtime) -> None:
    rt, uid = store, _reader(store)
    cold = rt.recommender.rank(uid, list(range(1, 100)))
    assert {r.reason for r in cold} == {"popular with readers"}
    update = foryou.save_preferences(
        rt.recommender, user_id=uid, prefs=readers.Preferences(topics=["protein folding"])
    )
    assert update.fitted and update.positives == 1
    first = rt.recommender.rank(uid, list(range(1, 100)))[0]
    assert first.paper.arxiv_id == "2107.00001"
    assert first.reason == "matches your topic “protein folding”"

    add_papers(rt, [SCORE_SDE])
    sync(rt.engine, rt.embedder, rt.searcher.dense)
    ddpm = paper_id(rt, "2006.11239")
    foryou.set_saved(rt.recommender, user_id=uid, paper_id=ddpm, saved=True)
    with rt.engine.connect() as conn:
        stored = readers.load_model(conn, uid)
    assert stored is not None and stored.positives == 2
    assert stored.weights.shape == (rt.embedder.dim,)
    assert stored.model_id == rt.searcher.dense.model_id
    by_id = {r.paper.arxiv_id: r for r in rt.recommender.rank(uid, list(range(1, 100)))}
    assert by_id["2006.11239"].reason == "on your reading list"
    assert by_id["2011.13456"].reason == (
        "close to “Denoising Diffusion Probabilistic Models”, which you saved"
    )

    foryou.save_preferences(
        rt.recommender, user_id=uid, prefs=readers.Preferences(authors=["Kaiming He"])
    )
    ranked = rt.recommender.rank(uid, list(range(1, 100)))
    assert ranked[0].reason == "by Kaiming He, whom you follow"


def test_not_interested_drops_the_paper_and_undo_brings_it_back(store: Runtime) -> None:
    rt, uid = store, _reader(store)
    alphafold = paper_id(rt, "2107.00001")
    foryou.set_saved(rt.recommender, user_id=uid, paper_id=alphafold, saved=True)
    ppo = paper_id(rt, "1707.06347")
    assert "1707.06347" in _ranked_ids(rt, uid)
    foryou.set_dismissed(rt.recommender, user_id=uid, paper_id=ppo, dismissed=True)
    assert "1707.06347" not in _ranked_ids(rt, uid)
    assert [p.id for p, _ in foryou.dismissed(rt.engine, uid)] == [ppo]
    foryou.set_dismissed(rt.recommender, user_id=uid, paper_id=ppo, dismissed=False)
    assert "1707.06347" in _ranked_ids(rt, uid)
    assert [p.id for p, _ in foryou.reading_list(rt.engine, uid)] == [alphafold]
    with pytest.raises(NotFound):
        foryou.set_saved(rt.recommender, user_id=uid, paper_id=10_000, saved=True)


def test_weights_of_another_embedding_model_are_refitted(store: Runtime) -> None:
    rt, uid = store, _reader(store)
    foryou.set_saved(rt.recommender, user_id=uid, paper_id=paper_id(rt, "1706.03762"), saved=True)
    other = Recommender(rt.engine, model_id="some-other-model", embed=rt.embedder.embed)
    # no vectors of that model are stored: the reader falls back to popularity
    assert {r.reason for r in other.rank(uid, list(range(1, 100)))} == {"popular with readers"}
    with rt.engine.connect() as conn:
        assert readers.load_model(conn, uid) is None
    rt.recommender.rank(uid, [1])
    with rt.engine.connect() as conn:
        stored = readers.load_model(conn, uid)
    assert stored is not None and stored.model_id == rt.recommender.model_id


def test_preferences_round_trip_and_bad_ones_are_refused(store: Runtime) -> None:
    rt, uid = store, _reader(store)
    prefs = readers.Preferences(
        topics=["graph neural networks", "diffusion"],
        categories=["cs.LG"],
        exclude_keywords=["survey"],
    )
    foryou.save_preferences(rt.recommender, user_id=uid, prefs=prefs)
    assert foryou.preferences(rt.engine, uid) == prefs
    with pytest.raises(InputError, match="longer than"):
        foryou.save_preferences(
            rt.recommender, user_id=uid, prefs=readers.Preferences(topics=["x" * 500])
        )
    assert foryou.preferences(rt.engine, uid) == prefs


def test_feed_filters_keep_and_hide_by_category_and_keyword(store: Runtime) -> None:
    from dailypapers.services import feed_filters

    rt = store
    with rt.engine.connect() as conn:
        papers = {p.arxiv_id: p for p in get_papers(conn, list(range(1, 100)))}
    only_cv = readers.Preferences(include_categories=["cs.CV"])
    assert {a for a, p in papers.items() if feed_filters.keeps(p, only_cv)} == {
        "1512.03385",
        "9912.00001",
    }
    no_cs = readers.Preferences(exclude_categories=["cs"], exclude_keywords=["DIFFUSION"])
    kept = {a for a, p in papers.items() if feed_filters.keeps(p, no_cs)}
    assert kept == {"2107.00001"}  # the only paper outside cs, and not about diffusion
    words = readers.Preferences(include_keywords=["policy", "protein"])
    assert {a for a, p in papers.items() if feed_filters.keeps(p, words)} == {
        "1707.06347",
        "2107.00001",
    }
    assert not feed_filters.active(readers.Preferences(topics=["x"]))
