"""Metrics against hand-computed trec_eval values on a tiny BEIR folder."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dailypapers.errors import InputError
from dailypapers.search.evaluate import (
    BeirCollection,
    evaluate_run,
    load_beir,
    map_at_k,
    ndcg_at_k,
    recall_at_k,
    score_run,
)

TINY = Path(__file__).parent / "data" / "beir_tiny"
RUN = {"q1": ["d3", "d2", "d1", "d3"], "q2": ["d2"], "q3": []}


@pytest.fixture(scope="module")
def tiny() -> BeirCollection:
    return load_beir(TINY)


def test_load_beir(tiny: BeirCollection) -> None:
    assert len(tiny.corpus) == 5 and tiny.corpus["d4"].title == ""
    assert tiny.queries["q2"] == "training very deep networks"
    assert tiny.qrels == {"q1": {"d1": 2, "d3": 1}, "q2": {"d2": 1}, "q3": {"d5": 1}}


def test_ndcg_graded_linear_gain(tiny: BeirCollection) -> None:
    # q1: DCG = 1/log2(2) + 2/log2(4) = 2; ideal = 2 + 1/log2(3). q2: 1. q3 (no results): 0.
    q1 = 2 / (2 + 1 / math.log2(3))
    assert ndcg_at_k(RUN, tiny.qrels, 10) == pytest.approx((q1 + 1 + 0) / 3)
    assert ndcg_at_k(RUN, tiny.qrels, 1) == pytest.approx((0.5 + 1 + 0) / 3)


def test_map_divides_by_all_relevant(tiny: BeirCollection) -> None:
    # q1: hits at ranks 1 and 3 -> (1/1 + 2/3) / 2; the repeated d3 counts once.
    assert map_at_k(RUN, tiny.qrels, 100) == pytest.approx(((1 + 2 / 3) / 2 + 1 + 0) / 3)
    assert map_at_k(RUN, tiny.qrels, 2) == pytest.approx((0.5 + 1 + 0) / 3)


def test_recall(tiny: BeirCollection) -> None:
    assert recall_at_k(RUN, tiny.qrels, 100) == pytest.approx(2 / 3)
    assert recall_at_k(RUN, tiny.qrels, 1) == pytest.approx((0.5 + 1 + 0) / 3)


def test_missing_queries_score_zero(tiny: BeirCollection) -> None:
    assert ndcg_at_k({"q2": ["d2"]}, tiny.qrels, 10) == pytest.approx(1 / 3)
    assert ndcg_at_k({}, tiny.qrels, 10, query_ids=[]) == 0.0


def test_evaluate_run_uses_search_fn(tiny: BeirCollection) -> None:
    by_text = {text: RUN[qid] for qid, text in tiny.queries.items()}
    assert evaluate_run(lambda text: by_text[text], tiny) == score_run(RUN, tiny)
    perfect = {"q1": ["d1", "d3"], "q2": ["d2"], "q3": ["d5"]}
    assert score_run(perfect, tiny) == {"ndcg@10": 1.0, "map@100": 1.0, "recall@100": 1.0}


def test_bad_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_beir(tmp_path)
    for name in ("corpus.jsonl", "queries.jsonl"):
        (tmp_path / name).write_text('{"_id": "1", "text": "x"}\n')
    (tmp_path / "qrels.tsv").write_text("qid\tdocid\trel\n")
    with pytest.raises(InputError, match="expected header"):
        load_beir(tmp_path)
