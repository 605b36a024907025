"""Fusion against hand-computed scores."""

from __future__ import annotations

import pytest

from dailypapers.search.fusion import convex, normalise, rrf

LEXICAL = [(1, 12.0), (2, 8.0), (3, 4.0)]
SEMANTIC = [(3, 0.9), (4, 0.8), (1, 0.5)]


def test_rrf_hand_computed() -> None:
    got = dict(rrf([LEXICAL, SEMANTIC], k=60))
    assert got[1] == pytest.approx(1 / 61 + 1 / 63)
    assert got[3] == pytest.approx(1 / 63 + 1 / 61)
    assert got[2] == pytest.approx(1 / 62)
    assert got[4] == pytest.approx(1 / 62)
    assert [d for d, _ in rrf([LEXICAL, SEMANTIC], k=60)] == [1, 3, 2, 4]  # ties: smaller id


def test_rrf_weights_and_duplicates() -> None:
    got = rrf([[(5, 1.0), (5, 0.5), (6, 0.1)], [(6, 1.0)]], k=0, weights=[1.0, 3.0])
    assert got == [(6, pytest.approx(1 / 3 + 3.0)), (5, pytest.approx(1.0))]  # 6 is 3rd


def test_rrf_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="2 weights for 1 lists"):
        rrf([LEXICAL], weights=[1.0, 2.0])
    assert rrf([]) == []


def test_convex_minmax_hand_computed() -> None:
    # lexical normalised: 1 -> 1.0, 2 -> 0.5, 3 -> 0.0; semantic: 3 -> 1.0, 4 -> 0.75, 1 -> 0.0
    got = dict(convex([LEXICAL, SEMANTIC], alpha=0.3))
    assert got[1] == pytest.approx(0.3 * 1.0 + 0.7 * 0.0)
    assert got[2] == pytest.approx(0.3 * 0.5 + 0.7 * 0.0)
    assert got[3] == pytest.approx(0.3 * 0.0 + 0.7 * 1.0)
    assert got[4] == pytest.approx(0.3 * 0.0 + 0.7 * 0.75)
    assert [d for d, _ in convex([LEXICAL, SEMANTIC], alpha=0.3)] == [3, 4, 1, 2]


def test_convex_zscore_missing_gets_list_floor() -> None:
    got = dict(convex([[(1, 3.0), (2, 1.0)], [(3, 5.0)]], alpha=0.5, normalisation="zscore"))
    # list 1: mean 2, sd 1 -> 1: +1, 2: -1; list 2: constant -> 0.0
    assert got == {1: pytest.approx(0.5), 2: pytest.approx(-0.5), 3: pytest.approx(-0.5)}


def test_convex_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="exactly two"):
        convex([LEXICAL], alpha=0.5)
    with pytest.raises(ValueError, match="alpha"):
        convex([LEXICAL, SEMANTIC], alpha=1.5)


def test_normalise_constant_and_empty() -> None:
    assert normalise([(1, 2.0), (2, 2.0)]) == {1: 1.0, 2: 1.0}
    assert normalise([]) == {}
