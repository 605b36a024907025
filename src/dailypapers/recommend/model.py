"""A reader's taste as an L2-regularised logistic regression over paper embeddings.

The approach Scholar Inbox publishes: each reader gets a linear model over the same vectors
search already stores; what they upvote or save (and, before they have marked anything, the
embedded text of their topics and the papers of authors they follow) are positives; what
they dismiss are explicit negatives, and a fixed random sample of the archive stands for
"everything else". A linear model is cheap twice over: Newton steps on a few hundred rows of
a few hundred dimensions take milliseconds (so it is refitted on every signal, warm-started
from the stored weights), and scoring is one matrix-vector product (100,000 candidates in a
few milliseconds).

The final score adds two things the embedding cannot see: papers by authors the reader
follows or keeps marking, and recency (see ``blend``). Pure functions over arrays; the
services gather the arrays and store the weights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

L2 = 1.0
"""Ridge strength on the weights (not the bias); chosen on the evaluation's dev split."""

NEWTON_STEPS = 8
WARM_NEWTON_STEPS = 3
TOLERANCE = 1e-4
EXPLICIT_NEGATIVE_WEIGHT = 2.0
"""A dismissal counts twice a random negative: the reader said so."""


@dataclass(frozen=True, slots=True)
class Weights:
    """A fitted reader model: ``score(x) = x @ vector + bias``, for vectors of ``model_id``."""

    model_id: str
    vector: np.ndarray
    bias: float

    @property
    def dim(self) -> int:
        """Length of the vectors the model reads."""
        return int(self.vector.shape[0])


@dataclass(frozen=True, slots=True)
class Examples:
    """Training rows: positives, explicit negatives and random negatives (each (n, dim))."""

    positives: np.ndarray
    explicit_negatives: np.ndarray
    random_negatives: np.ndarray

    def design(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows with a bias column, labels, and sample weights that give positives and
        negatives equal total weight (a reader has far fewer likes than the archive has
        papers; unbalanced, the model would learn only the prior)."""
        pos, exp, rnd = self.positives, self.explicit_negatives, self.random_negatives
        rows = np.vstack([pos, exp, rnd]).astype(np.float64)
        rows = np.hstack([rows, np.ones((rows.shape[0], 1))])
        labels = np.concatenate([np.ones(len(pos)), np.zeros(len(exp) + len(rnd))])
        neg = np.concatenate([np.full(len(exp), EXPLICIT_NEGATIVE_WEIGHT), np.ones(len(rnd))])
        neg_total = neg.sum()
        pos_w = np.ones(len(pos))
        if neg_total > 0 and len(pos):
            neg = neg * (len(pos) / neg_total)
        return rows, labels, np.concatenate([pos_w, neg])


def fit(
    examples: Examples,
    *,
    model_id: str,
    warm: Weights | None = None,
    l2: float = L2,
) -> Weights | None:
    """Fit (or refit from ``warm``) by Newton's method; None without any positive, since
    a model of dislikes alone ranks nothing usefully (the caller falls back to popularity)."""
    if len(examples.positives) == 0:
        return None
    rows, labels, weights = examples.design()
    dim = rows.shape[1]
    theta = np.zeros(dim)
    steps = NEWTON_STEPS
    if warm is not None and warm.model_id == model_id and warm.dim == dim - 1:
        theta = np.append(warm.vector.astype(np.float64), warm.bias)
        steps = WARM_NEWTON_STEPS
    ridge = np.full(dim, l2)
    ridge[-1] = 1e-6  # the bias is barely regularised
    for _ in range(steps):
        step = _newton_step(rows, labels, weights, theta, ridge)
        theta -= step
        if np.max(np.abs(step)) < TOLERANCE:
            break
    return Weights(model_id, theta[:-1].astype(np.float32), float(theta[-1]))


def _newton_step(
    rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, theta: np.ndarray, ridge: np.ndarray
) -> np.ndarray:
    """H⁻¹g for the weighted, ridge-penalised log loss at ``theta``, by conjugate gradients
    on Hessian-vector products (truncated Newton): each product costs two passes over the
    rows, where forming the Hessian would cost a (dim x rows x dim) matrix product."""
    p = _sigmoid(rows @ theta)
    gradient = rows.T @ (weights * (p - labels)) + ridge * theta
    curvature = weights * p * (1.0 - p)

    def hessian_times(v: np.ndarray) -> np.ndarray:
        return rows.T @ (curvature * (rows @ v)) + ridge * v

    return _conjugate_gradient(hessian_times, gradient)


CG_STEPS = 25
CG_TOLERANCE = 1e-6


def _conjugate_gradient(apply: Callable[[np.ndarray], np.ndarray], b: np.ndarray) -> np.ndarray:
    """x with apply(x) ≈ b for a symmetric positive definite ``apply``."""
    x = np.zeros_like(b)
    r = b.copy()
    d = r.copy()
    rr = float(r @ r)
    stop = CG_TOLERANCE * max(rr, 1e-30)
    for _ in range(CG_STEPS):
        if rr <= stop:
            break
        ad = apply(d)
        alpha = rr / float(d @ ad)
        x += alpha * d
        r -= alpha * ad
        rr_next = float(r @ r)
        d = r + (rr_next / rr) * d
        rr = rr_next
    return x


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))


def score(weights: Weights, vectors: np.ndarray) -> np.ndarray:
    """The model's log-odds for each row of ``vectors`` (float32, one product)."""
    return np.asarray(vectors, dtype=np.float32) @ weights.vector + np.float32(weights.bias)


AUTHOR_WEIGHT = 1.5
"""Log-odds added for a paper by an author the reader follows (dev split; docs)."""
LIKED_AUTHOR_WEIGHT = 1.0
"""Log-odds added per log(1 + times) an author appears among the reader's positives."""
RECENCY_WEIGHT = 0.5
"""Log-odds added for a paper published today, decaying with RECENCY_HALF_LIFE_DAYS."""
RECENCY_HALF_LIFE_DAYS = 7.0


def author_key(name: str) -> str:
    """How author names are compared: case and spacing ignored."""
    return " ".join(name.lower().split())


def author_affinity(
    authors: Sequence[Iterable[str]],
    *,
    followed: set[str],
    liked: dict[str, int],
    liked_weight: float = LIKED_AUTHOR_WEIGHT,
) -> np.ndarray:
    """Per paper: AUTHOR_WEIGHT if any author is followed, plus ``liked_weight`` times
    log(1 + n) for the author seen most (n times) among the reader's positives."""
    out = np.zeros(len(authors), dtype=np.float32)
    if not followed and not liked:
        return out
    for i, names in enumerate(authors):
        keys = [author_key(n) for n in names]
        if any(k in followed for k in keys):
            out[i] += AUTHOR_WEIGHT
        seen = max((liked.get(k, 0) for k in keys), default=0)
        if seen:
            out[i] += liked_weight * np.log1p(seen)
    return out


def recency(age_days: np.ndarray) -> np.ndarray:
    """1 for a paper published now, halving every RECENCY_HALF_LIFE_DAYS."""
    ages = np.maximum(np.asarray(age_days, dtype=np.float32), 0.0)
    return np.exp2(-ages / RECENCY_HALF_LIFE_DAYS).astype(np.float32)


def blend(
    logits: np.ndarray,
    *,
    affinity: np.ndarray,
    age_days: np.ndarray | None = None,
    recency_weight: float = RECENCY_WEIGHT,
) -> np.ndarray:
    """The final ranking score: model log-odds + author affinity + recency bonus."""
    total = logits + affinity
    if age_days is not None and recency_weight:
        total = total + recency_weight * recency(age_days)
    return total


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best scores, best first (argpartition, then a small sort)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
