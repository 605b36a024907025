"""Does the per-reader model find what a reader picks? An offline test on the real HF archive.

Protocol (docs/recommendations.md): every Hugging Face user who submitted papers to the daily
feed is a reader whose submissions show what they care about. Train on what they submitted
before a cut-off date; then, for each later day on which they submitted, rank that day's
whole feed for them and score where their own submission(s) land: nDCG@10, recall@5, MRR,
averaged over the reader's days, then over readers (each reader counts once, so the two
curators who submit hundreds of papers do not decide the result).

Methods: random, most upvoted, newest, mean-embedding similarity, a TF-IDF linear SVM
(arxiv-sanity-lite's settings), and ours (dailypapers.recommend.model: logistic regression
over the embeddings with random negatives, plus author affinity and recency), with an
embeddings-only ablation. ``--tune`` picks ours' settings on a dev split that ends at the
cut-off (train before --dev-cutoff, score days in [dev-cutoff, cutoff)); the test days are
never looked at while tuning.

    python benchmarks/recommend_eval.py ../shared/data/hf-daily-papers.jsonl.gz \\
        --cache /tmp/hf-emb.npz [--tune]

Embedding the ~10k title+abstract texts with the bundled model takes 5-20 minutes on two
cores; the .npz cache makes every later run take seconds.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from dailypapers.recommend import model as rec
from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.embedder import load_embedder
from dailypapers.search.texts import paper_text

RANDOM_NEGATIVES = 300
SEED = 13


@dataclass(frozen=True, slots=True)
class Item:
    """One featured paper: where it is in the archive and what a ranker may look at."""

    row: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    published: datetime
    feed_date: date
    upvotes: int
    submitter: str | None


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def load(path: Path) -> list[Item]:
    """The archive's records as Items, in file order (feed date, then id)."""
    items = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for row, line in enumerate(fh):
            rec_ = json.loads(line)
            paper = rec_["paper"]
            by = rec_.get("submittedBy") or {}
            items.append(
                Item(
                    row=row,
                    title=_clean(paper.get("title")),
                    abstract=_clean(paper.get("summary")),
                    authors=tuple(_clean(a.get("name")) for a in paper.get("authors") or []),
                    published=datetime.fromisoformat(paper["publishedAt"].replace("Z", "+00:00")),
                    feed_date=date.fromisoformat(rec_["feed_date"]),
                    upvotes=int(paper.get("upvotes") or 0),
                    submitter=by.get("name") if isinstance(by, dict) else None,
                )
            )
    return items


def embed(items: Sequence[Item], cache: Path) -> np.ndarray:
    """Unit vectors of "title. abstract" (truncated to the model's 256 tokens), cached."""
    cached = CachedEmbedder(load_embedder(threads=2), cache)
    texts = [paper_text(i.title, i.abstract) for i in items]
    out = np.empty((len(texts), cached.dim), dtype=np.float32)
    for start in range(0, len(texts), 500):
        out[start : start + 500] = cached.embed(texts[start : start + 500], batch_size=32)
        cached.save()
    return out


@dataclass(frozen=True, slots=True)
class Query:
    """One reader on one test day: the day's feed (rows) and which of them they submitted."""

    reader: str
    day: date
    candidates: np.ndarray
    relevant: frozenset[int]


@dataclass(frozen=True, slots=True)
class Split:
    """Readers' training rows (submitted before ``train_end``) and their test queries."""

    train: dict[str, list[int]]
    queries: list[Query]
    pool: np.ndarray  # every row featured before train_end: negatives come from here


def make_split(
    items: Sequence[Item], *, train_end: date, test_end: date | None, min_train: int
) -> Split:
    """Readers with at least ``min_train`` submissions before ``train_end`` and at least one
    in [train_end, test_end)."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for it in items:
        by_day[it.feed_date].append(it.row)
    train: dict[str, list[int]] = defaultdict(list)
    later: dict[str, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for it in items:
        if it.submitter is None:
            continue
        if it.feed_date < train_end:
            train[it.submitter].append(it.row)
        elif test_end is None or it.feed_date < test_end:
            later[it.submitter][it.feed_date].add(it.row)
    queries = [
        Query(reader, day, np.array(by_day[day]), frozenset(rows))
        for reader, days in sorted(later.items())
        if len(train.get(reader, ())) >= min_train
        for day, rows in sorted(days.items())
    ]
    readers = {q.reader for q in queries}
    pool = np.array([it.row for it in items if it.feed_date < train_end])
    return Split({r: train[r] for r in readers}, queries, pool)


def metrics(ranked: np.ndarray, relevant: frozenset[int]) -> tuple[float, float, float]:
    """nDCG@10, recall@5 and reciprocal rank of one ranking (binary relevance)."""
    hits = [int(r) in relevant for r in ranked]
    dcg = sum(1.0 / math.log2(i + 2) for i, h in enumerate(hits[:10]) if h)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    recall = sum(hits[:5]) / len(relevant)
    first = next((i for i, h in enumerate(hits) if h), None)
    return dcg / ideal, recall, 0.0 if first is None else 1.0 / (first + 1)


Scorer = Callable[[str, Query], np.ndarray]
"""Scores for ``query.candidates`` (higher first) for one reader."""


def evaluate(
    split: Split, scorer: Scorer, keep: Callable[[Query], bool] | None = None
) -> dict[str, float]:
    """Macro averages: over each reader's days, then over readers (only queries ``keep``
    accepts, when given)."""
    per_reader: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for q in split.queries:
        if keep is not None and not keep(q):
            continue
        scores = scorer(q.reader, q)
        order = np.argsort(-scores, kind="stable")
        per_reader[q.reader].append(metrics(q.candidates[order], q.relevant))
    means = np.array([np.mean(v, axis=0) for v in per_reader.values()])
    ndcg, recall, mrr = means.mean(axis=0)
    return {"ndcg@10": ndcg, "recall@5": recall, "mrr": mrr}


class Context:
    """What the scorers share: the items, their vectors, and per-reader training sets."""

    def __init__(self, items: Sequence[Item], vectors: np.ndarray, split: Split) -> None:
        self.items = items
        self.vectors = vectors
        self.split = split
        self.upvotes = np.array([it.upvotes for it in items], dtype=np.float64)
        self.published = np.array([it.published.timestamp() for it in items])
        self._negatives: dict[str, np.ndarray] = {}
        self._liked: dict[str, dict[str, int]] = {}

    def negatives(self, reader: str) -> np.ndarray:
        """A fixed random sample of the pool, without the reader's own papers."""
        if reader not in self._negatives:
            rng = np.random.default_rng([SEED, zlib.crc32(reader.encode())])
            own = set(self.split.train[reader])
            pool = np.array([r for r in self.split.pool if r not in own])
            size = min(RANDOM_NEGATIVES, len(pool))
            self._negatives[reader] = rng.choice(pool, size=size, replace=False)
        return self._negatives[reader]

    def unseen_authors(self, q: Query) -> bool:
        """Whether none of the reader's picks that day shares an author with their training
        papers (the harder case: no author name to match)."""
        known = self.liked_authors(q.reader)
        return not any(
            rec.author_key(a) in known for row in q.relevant for a in self.items[row].authors
        )

    def liked_authors(self, reader: str) -> dict[str, int]:
        """How often each author appears among the reader's training papers."""
        if reader not in self._liked:
            counts: Counter[str] = Counter()
            for row in self.split.train[reader]:
                counts.update({rec.author_key(a) for a in self.items[row].authors})
            self._liked[reader] = dict(counts)
        return self._liked[reader]


def random_scorer(ctx: Context) -> Scorer:
    def score(reader: str, q: Query) -> np.ndarray:
        rng = np.random.default_rng([SEED, zlib.crc32(reader.encode()), q.day.toordinal()])
        return rng.random(len(q.candidates))

    return score


def upvotes_scorer(ctx: Context) -> Scorer:
    return lambda reader, q: ctx.upvotes[q.candidates]


def newest_scorer(ctx: Context) -> Scorer:
    return lambda reader, q: ctx.published[q.candidates]


def mean_embedding_scorer(ctx: Context) -> Scorer:
    centroids = {
        r: ctx.vectors[rows].mean(axis=0) for r, rows in ctx.split.train.items() if len(rows)
    }
    return lambda reader, q: ctx.vectors[q.candidates] @ centroids[reader]


_TFIDF: dict[str, Any] = {
    "input": "content",
    "encoding": "utf-8",
    "decode_error": "replace",
    "strip_accents": "unicode",
    "lowercase": True,
    "analyzer": "word",
    "stop_words": "english",
    "token_pattern": r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
    "ngram_range": (1, 2),
    "max_features": 20000,
    "norm": "l2",
    "use_idf": True,
    "smooth_idf": True,
    "sublinear_tf": True,
    "max_df": 0.1,
    "min_df": 5,
}
"""arxiv-sanity-lite's TfidfVectorizer settings (compute.py)."""


def svm_scorer(ctx: Context) -> Scorer:
    """arxiv-sanity-lite's recommender: TF-IDF (1-2 grams, sublinear tf) of title, abstract
    and authors; a LinearSVC (C=0.01, balanced classes) per reader, their papers against
    every other paper of the training period."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [" ".join([it.title, it.abstract, " ".join(it.authors)]) for it in ctx.items]
    vectorizer = TfidfVectorizer(**_TFIDF)
    vectorizer.fit([texts[r] for r in ctx.split.pool])
    return _svm_over(ctx, vectorizer.transform(texts))


def svm_text_only_scorer(ctx: Context) -> Scorer:
    """The same SVM on title and abstract alone (no author names), to compare with ours'
    embeddings-only ablation."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [" ".join([it.title, it.abstract]) for it in ctx.items]
    vectorizer = TfidfVectorizer(**_TFIDF)
    vectorizer.fit([texts[r] for r in ctx.split.pool])
    return _svm_over(ctx, vectorizer.transform(texts))


def _svm_over(ctx: Context, matrix: Any) -> Scorer:
    from sklearn import svm

    pool_x = matrix[ctx.split.pool]
    models = {}
    for reader, rows in ctx.split.train.items():
        labels = np.isin(ctx.split.pool, rows).astype(int)
        clf = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01)
        models[reader] = clf.fit(pool_x, labels)
    return lambda reader, q: models[reader].decision_function(matrix[q.candidates])


@dataclass(frozen=True, slots=True)
class OurSettings:
    """The knobs of ours that --tune searches."""

    l2: float = rec.L2
    liked_weight: float = rec.LIKED_AUTHOR_WEIGHT
    recency_weight: float = rec.RECENCY_WEIGHT


def fit_readers(ctx: Context, l2: float) -> dict[str, rec.Weights]:
    """Ours' weights for every reader, fitted exactly as the product fits them."""
    fitted = {}
    dim = ctx.vectors.shape[1]
    for reader, rows in ctx.split.train.items():
        examples = rec.Examples(
            positives=ctx.vectors[rows],
            explicit_negatives=np.empty((0, dim), dtype=np.float32),
            random_negatives=ctx.vectors[ctx.negatives(reader)],
        )
        weights = rec.fit(examples, model_id="eval", l2=l2)
        assert weights is not None
        fitted[reader] = weights
    return fitted


def ours_scorer(
    ctx: Context,
    settings: OurSettings = OurSettings(),
    fitted: dict[str, rec.Weights] | None = None,
) -> Scorer:
    """dailypapers.recommend.model as the product calls it: log-odds + authors + recency."""
    weights_of = fitted if fitted is not None else fit_readers(ctx, settings.l2)

    def score(reader: str, q: Query) -> np.ndarray:
        logits = rec.score(weights_of[reader], ctx.vectors[q.candidates])
        affinity = rec.author_affinity(
            [ctx.items[r].authors for r in q.candidates],
            followed=set(),
            liked=ctx.liked_authors(reader),
            liked_weight=settings.liked_weight,
        )
        day_end = datetime.combine(q.day, datetime.min.time()).timestamp() + 86400
        ages = (day_end - ctx.published[q.candidates]) / 86400
        return rec.blend(
            logits, affinity=affinity, age_days=ages, recency_weight=settings.recency_weight
        )

    return score


def methods(ctx: Context) -> dict[str, Scorer]:
    """Every method in the table, baselines first."""
    return {
        "random": random_scorer(ctx),
        "most upvoted": upvotes_scorer(ctx),
        "newest": newest_scorer(ctx),
        "mean embedding": mean_embedding_scorer(ctx),
        "TF-IDF SVM (arxiv-sanity-lite)": svm_scorer(ctx),
        "TF-IDF SVM, title+abstract only": svm_text_only_scorer(ctx),
        "ours, embeddings only": ours_scorer(ctx, OurSettings(liked_weight=0.0)),
        "ours (LR + authors + recency)": ours_scorer(ctx),
    }


def tune(items: Sequence[Item], vectors: np.ndarray, args: argparse.Namespace) -> None:
    """Grid over ours' settings on the dev split; prints every cell, best last."""
    split = make_split(
        items, train_end=args.dev_cutoff, test_end=args.cutoff, min_train=args.min_train
    )
    ctx = Context(items, vectors, split)
    print(f"dev: {len(split.train)} readers, {len(split.queries)} reader-days")
    results = []
    for l2 in (0.1, 0.3, 1.0, 3.0):
        fitted = fit_readers(ctx, l2)
        for liked, recency in itertools.product((0.0, 0.5, 1.0, 2.0), (0.0, 0.5, 1.0)):
            s = OurSettings(l2, liked, recency)
            m = evaluate(split, ours_scorer(ctx, s, fitted))
            results.append((m["ndcg@10"], s, m))
            print(f"{s}: nDCG@10 {m['ndcg@10']:.4f} R@5 {m['recall@5']:.4f} MRR {m['mrr']:.4f}")
    best = max(results, key=lambda r: r[0])
    print(f"best on dev: {best[1]}")


def table(items: Sequence[Item], vectors: np.ndarray, args: argparse.Namespace) -> None:
    """The test split's table, as markdown."""
    split = make_split(items, train_end=args.cutoff, test_end=None, min_train=args.min_train)
    ctx = Context(items, vectors, split)
    days = len({q.day for q in split.queries})
    print(
        f"test: {len(split.train)} readers (>= {args.min_train} submissions before "
        f"{args.cutoff}), {len(split.queries)} reader-days over {days} feed days, "
        f"mean feed size {np.mean([len(q.candidates) for q in split.queries]):.1f}"
    )
    new = ctx.unseen_authors
    print(f"of which {sum(map(new, split.queries))} with only authors new to the reader")
    print("| method | nDCG@10 | recall@5 | MRR | nDCG@10, new authors | MRR, new authors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, scorer in methods(ctx).items():
        m, n = evaluate(split, scorer), evaluate(split, scorer, keep=new)
        print(
            f"| {name} | {m['ndcg@10']:.4f} | {m['recall@5']:.4f} | {m['mrr']:.4f} "
            f"| {n['ndcg@10']:.4f} | {n['mrr']:.4f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="hf-daily-papers.jsonl.gz")
    parser.add_argument("--cache", type=Path, required=True, help="embedding cache (.npz)")
    parser.add_argument("--cutoff", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--dev-cutoff", type=date.fromisoformat, default=date(2025, 9, 1))
    parser.add_argument("--min-train", type=int, default=3)
    parser.add_argument("--tune", action="store_true", help="grid-search ours on the dev split")
    args = parser.parse_args()
    items = load(args.archive)
    vectors = embed(items, args.cache)
    if args.tune:
        tune(items, vectors, args)
    else:
        table(items, vectors, args)


if __name__ == "__main__":
    main()
