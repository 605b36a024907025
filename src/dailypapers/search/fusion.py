"""Merging ranked lists from the lexical (BM25) and semantic (vector) legs of hybrid search.

Each input list is ``[(doc_id, score), ...]`` best first. Reciprocal rank fusion uses only
ranks, so it needs no calibration between BM25 scores and cosine similarities; the convex
combination uses the scores after per-list normalisation, which can win when both legs are
well calibrated. Output is best first; ties break on the smaller id so results are stable.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Literal

RankedList = Sequence[tuple[int, float]]
Normalisation = Literal["minmax", "zscore"]


def rrf(
    ranked_lists: Sequence[RankedList], *, k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion (Cormack et al. 2009): score = sum of w / (k + rank), rank from 1.

    A document counts once per list, at its best rank there.
    """
    if k < 0:
        raise ValueError(f"rrf k must be >= 0, got {k}")
    weights = _check_weights(ranked_lists, weights)
    fused: dict[int, float] = {}
    for ranked, weight in zip(ranked_lists, weights, strict=True):
        seen: set[int] = set()
        for rank, (doc_id, _score) in enumerate(ranked, start=1):
            if doc_id not in seen:
                seen.add(doc_id)
                fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return _sorted(fused)


def convex(
    lists: Sequence[RankedList], *, alpha: float, normalisation: Normalisation = "minmax"
) -> list[tuple[int, float]]:
    """``alpha * first + (1 - alpha) * second`` over normalised scores of exactly two lists.

    A document missing from a list gets that list's lowest normalised score (0 for min-max):
    it was not retrieved there, so it is treated as no better than the worst that was.
    """
    if len(lists) != 2:
        raise ValueError(f"convex fusion takes exactly two lists, got {len(lists)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    first, second = (normalise(list(ranked), normalisation) for ranked in lists)
    floor_1, floor_2 = (min(scores.values(), default=0.0) for scores in (first, second))
    fused = {
        doc_id: alpha * first.get(doc_id, floor_1) + (1 - alpha) * second.get(doc_id, floor_2)
        for doc_id in first.keys() | second.keys()
    }
    return _sorted(fused)


def normalise(ranked: RankedList, method: Normalisation = "minmax") -> dict[int, float]:
    """Scores mapped to a common scale; a constant list maps to 1.0 (min-max) or 0.0 (z-score).

    The first score of a repeated id is kept, matching rrf's best-rank rule.
    """
    scores: dict[int, float] = {}
    for doc_id, score in ranked:
        scores.setdefault(doc_id, score)
    if not scores:
        return {}
    values = list(scores.values())
    if method == "minmax":
        low, high = min(values), max(values)
        span = high - low
        return {d: (s - low) / span if span else 1.0 for d, s in scores.items()}
    mean, stdev = statistics.fmean(values), statistics.pstdev(values)
    return {d: (s - mean) / stdev if stdev else 0.0 for d, s in scores.items()}


def _check_weights(lists: Sequence[RankedList], weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * len(lists)
    if len(weights) != len(lists):
        raise ValueError(f"{len(weights)} weights for {len(lists)} lists")
    if any(w < 0 for w in weights):
        raise ValueError("weights must be >= 0")
    return list(weights)


def _sorted(fused: dict[int, float]) -> list[tuple[int, float]]:
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
