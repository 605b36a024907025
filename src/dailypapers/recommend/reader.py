"""A reader's model kept in step with their signals, and rankings that say why.

``Recommender.update`` gathers what a reader marked (upvotes, saves, dismissals) and chose
(topics, categories, followed authors), reads the stored vectors of the embedding model in
use, refits the logistic regression warm from the stored weights and stores the new ones.
``Recommender.rank`` scores candidate papers with those weights (refitting first when the
weights are missing or were made for another embedding model) and gives each a reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from dailypapers.models import Paper
from dailypapers.recommend import model as rec
from dailypapers.store import readers
from dailypapers.store.database import transaction
from dailypapers.store.papers import get_papers

MAX_POSITIVES = 500
"""Newest saves and upvotes used; older taste fades out of the model."""
COLD_START_PAPERS = 30
"""Papers per followed-author list and per category list used before any mark."""
RANDOM_NEGATIVES = 300
NEGATIVE_CACHE_READERS = 100
"""Readers whose random negatives one process keeps (300 x 384 float32, 460 kB each)."""
NEAREST_REASON_SIMILARITY = 0.35
"""Below this cosine, 'close to X' would not be believable; another reason is given."""

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a positive row came from, for reasons: a saved/upvoted paper, a topic..."""

    kind: str  # "saved", "upvoted", "topic", "author", "category"
    label: str


@dataclass(slots=True)
class Positives:
    """Positive rows with their sources, and the authors seen among marked papers."""

    vectors: list[np.ndarray] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    liked_authors: dict[str, int] = field(default_factory=dict)
    liked_by: dict[str, str] = field(default_factory=dict)  # author key -> a paper title
    marked: dict[int, str] = field(default_factory=dict)  # paper id -> "saved" / "upvoted"

    def add(self, vectors: np.ndarray, sources: Sequence[Source]) -> None:
        """Append rows (one source each)."""
        self.vectors.extend(vectors)
        self.sources.extend(sources)

    def matrix(self, dim: int) -> np.ndarray:
        """The rows as one (n, dim) array."""
        return np.vstack(self.vectors) if self.vectors else np.empty((0, dim), np.float32)


@dataclass(frozen=True, slots=True)
class Update:
    """What one refit used and how long it took."""

    positives: int
    negatives: int
    seconds: float
    fitted: bool


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A ranked paper, its score, and the one line that says why it is here."""

    paper: Paper
    score: float
    reason: str


class Recommender:
    """Per-reader models over the vectors of ``model_id``; ``embed`` turns topic text into
    vectors (called only for topics it has not seen, and the results kept)."""

    def __init__(self, engine: sa.Engine, *, model_id: str, embed: Embed) -> None:
        self.engine = engine
        self.model_id = model_id
        self._embed = embed
        self._topics: dict[str, np.ndarray] = {}
        self._negatives: dict[int, np.ndarray] = {}

    def update(self, user_id: int) -> Update:
        """Refit the reader's weights from all their signals and store them."""
        started = time.perf_counter()
        with self.engine.connect() as conn:
            stored = readers.load_model(conn, user_id)
            positives = self.positives(conn, user_id, readers.preferences(conn, user_id))
            dismissed = [p for p, _ in readers.marked(conn, "dismiss", user_id)]
            explicit = readers.vectors_of(conn, dismissed, self.model_id)[1]
            random = self._random_negatives(conn, user_id)
        dim = _dim(positives, explicit, random)
        examples = rec.Examples(positives.matrix(dim), _rows(explicit, dim), _rows(random, dim))
        warm = _weights(stored) if stored else None
        fitted = rec.fit(examples, model_id=self.model_id, warm=warm)
        counts = (len(examples.positives), len(explicit) + len(random))
        with transaction(self.engine) as conn:
            readers.save_model(conn, user_id, _stored(fitted, *counts))
        return Update(*counts, time.perf_counter() - started, fitted is not None)

    def rank(
        self,
        user_id: int,
        candidate_ids: Sequence[int],
        *,
        limit: int = 50,
        now: datetime | None = None,
    ) -> list[Recommendation]:
        """The ``limit`` best candidates for this reader, dismissed ones left out; by
        upvotes (reason: popular) while the reader has given nothing to learn from."""
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            stored = readers.load_model(conn, user_id)
        if stored is None or stored.model_id != self.model_id:
            self.update(user_id)
        with self.engine.connect() as conn:
            stored = readers.load_model(conn, user_id)
            prefs = readers.preferences(conn, user_id)
            positives = self.positives(conn, user_id, prefs) if stored else Positives()
            dismissed = readers.marked_among(conn, "dismiss", user_id, candidate_ids)
            wanted = [i for i in dict.fromkeys(candidate_ids) if i not in dismissed]
            facts = readers.paper_facts(conn, wanted)
            ids, vectors = readers.vectors_of(conn, list(facts), self.model_id)
            scores = _scores(list(facts.values()), ids, vectors, stored, positives, prefs, now)
            chosen = [list(facts)[n] for n in rec.top_k(scores, limit)]
            papers = get_papers(conn, chosen)
        by_id = dict(zip(facts, scores.tolist(), strict=True))
        if stored is None:
            return [Recommendation(p, by_id[p.id], "popular with readers") for p in papers]
        explain = _Explainer(positives, prefs, vectors, {int(i): n for n, i in enumerate(ids)})
        return [Recommendation(p, by_id[p.id], explain(p)) for p in papers]

    def positives(self, conn: sa.Connection, user_id: int, prefs: readers.Preferences) -> Positives:
        """Saves and upvotes, then (cold start) topics, followed authors and categories."""
        found = Positives()
        marks = [(p, "saved") for p, _ in readers.marked(conn, "save", user_id)]
        marks += [(p, "upvoted") for p, _ in readers.upvoted(conn, user_id)]
        kinds = dict(reversed(marks[:MAX_POSITIVES]))
        found.marked = kinds
        facts = readers.paper_facts(conn, list(kinds))
        ids, vectors = readers.vectors_of(conn, list(kinds), self.model_id)
        found.add(vectors, [Source(kinds[int(i)], facts[int(i)].title) for i in ids])
        for paper in facts.values():
            for name in paper.authors:
                key = rec.author_key(name)
                found.liked_authors[key] = found.liked_authors.get(key, 0) + 1
                found.liked_by.setdefault(key, paper.title)
        if prefs.topics:
            found.add(self._topic_vectors(prefs.topics), [Source("topic", t) for t in prefs.topics])
        by_authors = readers.papers_by_authors(conn, prefs.authors, limit=COLD_START_PAPERS)
        _, vectors = readers.vectors_of(conn, by_authors, self.model_id)
        found.add(vectors, [Source("author", "")] * len(vectors))
        in_cats = readers.papers_in_categories(conn, prefs.categories, limit=COLD_START_PAPERS)
        _, vectors = readers.vectors_of(conn, in_cats, self.model_id)
        found.add(vectors, [Source("category", "")] * len(vectors))
        return found

    def _random_negatives(self, conn: sa.Connection, user_id: int) -> np.ndarray:
        """The reader's random sample of the archive: drawn once per process (it is fixed
        by the reader's id anyway), so a refit after a signal does not read it again."""
        if user_id not in self._negatives:
            if len(self._negatives) >= NEGATIVE_CACHE_READERS:
                self._negatives.pop(next(iter(self._negatives)))
            sample = readers.sample_ids(conn, self.model_id, size=RANDOM_NEGATIVES, seed=user_id)
            self._negatives[user_id] = readers.vectors_of(conn, sample, self.model_id)[1]
        return self._negatives[user_id]

    def _topic_vectors(self, topics: Sequence[str]) -> np.ndarray:
        missing = [t for t in topics if t not in self._topics]
        if missing:
            self._topics.update(zip(missing, self._embed(missing), strict=True))
        return np.vstack([self._topics[t] for t in topics])


def _dim(positives: Positives, *others: np.ndarray) -> int:
    for rows in (*positives.vectors[:1], *others):
        if rows.size:
            return int(rows.shape[-1])
    return 0


def _rows(vectors: np.ndarray, dim: int) -> np.ndarray:
    return vectors if vectors.size else np.empty((0, dim), dtype=np.float32)


def _weights(stored: readers.StoredModel) -> rec.Weights:
    return rec.Weights(stored.model_id, stored.weights, stored.bias)


def _stored(
    fitted: rec.Weights | None, positives: int, negatives: int
) -> readers.StoredModel | None:
    if fitted is None:
        return None
    return readers.StoredModel(
        fitted.model_id, fitted.vector, fitted.bias, positives, negatives, datetime.now(UTC)
    )


def _scores(
    facts: list[readers.PaperFacts],
    ids: np.ndarray,
    vectors: np.ndarray,
    stored: readers.StoredModel | None,
    positives: Positives,
    prefs: readers.Preferences,
    now: datetime,
) -> np.ndarray:
    """Model log-odds + author affinity + recency per candidate (upvotes alone without a
    model); a paper without a vector yet gets a neutral model score."""
    if stored is None:
        return np.array([f.upvotes for f in facts], dtype=np.float32)
    logits = np.zeros(len(facts), dtype=np.float32)
    if len(ids):
        row_of = {int(pid): n for n, pid in enumerate(ids)}
        scored = rec.score(_weights(stored), vectors)
        at = np.array([row_of.get(f.id, -1) for f in facts])
        logits[at >= 0] = scored[at[at >= 0]]
    affinity = rec.author_affinity(
        [f.authors for f in facts],
        followed={rec.author_key(a) for a in prefs.authors},
        liked=positives.liked_authors,
    )
    ages = np.array([_age_days(f.published_at, now) for f in facts], dtype=np.float32)
    return rec.blend(logits, affinity=affinity, age_days=ages)


def _age_days(published_at: datetime | None, now: datetime) -> float:
    if published_at is None:
        return 365.0
    return max((now - published_at).total_seconds() / 86400, 0.0)


class _Explainer:
    """The one-line reason for a paper, strongest first: a followed author, an author of
    something the reader marked, the nearest saved/upvoted paper or topic, a category."""

    def __init__(
        self,
        positives: Positives,
        prefs: readers.Preferences,
        vectors: np.ndarray,
        row_of: dict[int, int],
    ) -> None:
        self.positives = positives
        self.followed = {rec.author_key(a): a for a in prefs.authors}
        self.categories = {c.lower() for c in prefs.categories}
        keep = [n for n, s in enumerate(positives.sources) if s.kind in _NEAREST_KINDS]
        self.sources = [positives.sources[n] for n in keep]
        self.similar = (
            vectors @ np.vstack([positives.vectors[n] for n in keep]).T
            if keep and len(vectors)
            else None
        )
        self.row_of = row_of

    def __call__(self, paper: Paper) -> str:
        mark = self.positives.marked.get(paper.id)
        if mark is not None:
            return "on your reading list" if mark == "saved" else "you upvoted it"
        for name in paper.authors:
            if rec.author_key(name) in self.followed:
                return f"by {name}, whom you follow"
        for name in paper.authors:
            title = self.positives.liked_by.get(rec.author_key(name))
            if title:
                return f"by {name}, an author of “{_short(title)}”"
        nearest = self._nearest(paper)
        if nearest is not None:
            return nearest
        for cat in paper.categories:
            if cat.lower() in self.categories or cat.split(".")[0].lower() in self.categories:
                return f"in {cat}, one of your categories"
        return "related to what you follow"

    def _nearest(self, paper: Paper) -> str | None:
        row = self.row_of.get(paper.id)
        if self.similar is None or row is None:
            return None
        best = int(np.argmax(self.similar[row]))
        if self.similar[row, best] < NEAREST_REASON_SIMILARITY:
            return None
        source = self.sources[best]
        if source.kind == "topic":
            return f"matches your topic “{source.label}”"
        return f"close to “{_short(source.label)}”, which you {source.kind}"


_NEAREST_KINDS = frozenset({"saved", "upvoted", "topic"})


def _short(title: str, limit: int = 70) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
