"""Search quality on BEIR-format test collections, with trec_eval's definitions.

Metrics take a *run* (query id → ranked document ids, best first) and *qrels* (query id →
{document id: graded relevance}); a grade > 0 is relevant. Every metric is averaged over the
given query ids (default: every query with judgments), and a query with no results scores 0,
so a search that fails on some queries cannot look better by skipping them.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dailypapers.errors import InputError

Run = Mapping[str, Sequence[str]]
Qrels = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class Document:
    title: str
    text: str


@dataclass(frozen=True)
class BeirCollection:
    """A test collection: documents, queries, and judged (query, document, grade) triples."""

    corpus: dict[str, Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path) -> BeirCollection:
    """Reads ``corpus.jsonl``, ``queries.jsonl`` and ``qrels.tsv`` (header
    ``query-id corpus-id score``) from ``folder``."""
    folder = Path(folder)
    corpus = {
        row["_id"]: Document(row.get("title") or "", row.get("text") or "")
        for row in _jsonl(folder / "corpus.jsonl")
    }
    queries = {row["_id"]: row["text"] for row in _jsonl(folder / "queries.jsonl")}
    return BeirCollection(corpus, queries, _read_qrels(folder / "qrels.tsv"))


def _jsonl(path: Path) -> Iterable[dict[str, str]]:
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    yield _json_object(line, path, number)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


def _json_object(line: str, path: Path, number: int) -> dict[str, str]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise InputError(f"{path}:{number}: not JSON ({exc})") from exc
    if not isinstance(row, dict) or "_id" not in row:
        raise InputError(f"{path}:{number}: expected an object with an _id")
    return row


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter="\t")
            header = next(rows, None)
            if header != ["query-id", "corpus-id", "score"]:
                raise InputError(f"{path}:1: expected header query-id, corpus-id, score")
            for number, row in enumerate(rows, start=2):
                query_id, doc_id, score = _qrel_row(row, path, number)
                qrels.setdefault(query_id, {})[doc_id] = score
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    return qrels


def _qrel_row(row: list[str], path: Path, number: int) -> tuple[str, str, int]:
    if len(row) != 3 or not row[2].lstrip("-").isdigit():
        raise InputError(f"{path}:{number}: expected query-id, corpus-id, integer score")
    return row[0], row[1], int(row[2])


def ndcg_at_k(run: Run, qrels: Qrels, k: int = 10, query_ids: Iterable[str] | None = None) -> float:
    """trec_eval ``ndcg_cut``: linear gain = grade, discount log2(rank + 1), ideal from all
    judged relevant documents."""
    return _mean(run, qrels, query_ids, lambda ranked, judged: _ndcg(ranked, judged, k))


def map_at_k(run: Run, qrels: Qrels, k: int = 100, query_ids: Iterable[str] | None = None) -> float:
    """trec_eval ``map_cut``: precision at each relevant hit within k, divided by *all* relevant."""
    return _mean(
        run, qrels, query_ids, lambda ranked, judged: _average_precision(ranked, judged, k)
    )


def recall_at_k(
    run: Run, qrels: Qrels, k: int = 100, query_ids: Iterable[str] | None = None
) -> float:
    """trec_eval ``recall``: share of relevant documents retrieved within k."""
    return _mean(run, qrels, query_ids, lambda ranked, judged: _recall(ranked, judged, k))


def _mean(
    run: Run,
    qrels: Qrels,
    query_ids: Iterable[str] | None,
    metric: Callable[[list[str], Mapping[str, int]], float],
) -> float:
    ids = list(qrels if query_ids is None else query_ids)
    if not ids:
        return 0.0
    return sum(metric(_dedup(run.get(q, ())), qrels.get(q, {})) for q in ids) / len(ids)


def _dedup(ranked: Sequence[str]) -> list[str]:
    """A document retrieved twice counts once, at its first rank."""
    return list(dict.fromkeys(ranked))


def _relevant(judged: Mapping[str, int]) -> dict[str, int]:
    return {doc: grade for doc, grade in judged.items() if grade > 0}


def _ndcg(ranked: list[str], judged: Mapping[str, int], k: int) -> float:
    relevant = _relevant(judged)
    ideal = _dcg(sorted(relevant.values(), reverse=True)[:k])
    return _dcg([relevant.get(doc, 0) for doc in ranked[:k]]) / ideal if ideal else 0.0


def _dcg(gains: Sequence[int]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def _average_precision(ranked: list[str], judged: Mapping[str, int], k: int) -> float:
    relevant = _relevant(judged)
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def _recall(ranked: list[str], judged: Mapping[str, int], k: int) -> float:
    relevant = _relevant(judged)
    return len(relevant.keys() & set(ranked[:k])) / len(relevant) if relevant else 0.0


def run_queries(
    search_fn: Callable[[str], list[str]], queries: Mapping[str, str]
) -> dict[str, list[str]]:
    """Runs every query through ``search_fn`` (query text → ranked document ids)."""
    return {query_id: list(search_fn(text)) for query_id, text in queries.items()}


def evaluate_run(
    search_fn: Callable[[str], list[str]], collection: BeirCollection
) -> dict[str, float]:
    """nDCG@10, MAP@100 and Recall@100 of ``search_fn`` on ``collection``, averaged over all of
    its queries; the store-backed runner only has to index the corpus and supply search_fn."""
    run = run_queries(search_fn, collection.queries)
    return score_run(run, collection)


def score_run(run: Run, collection: BeirCollection) -> dict[str, float]:
    """The standard metrics of an existing run (e.g. one saved to compare fusion settings)."""
    ids = list(collection.queries)
    return {
        "ndcg@10": ndcg_at_k(run, collection.qrels, 10, ids),
        "map@100": map_at_k(run, collection.qrels, 100, ids),
        "recall@100": recall_at_k(run, collection.qrels, 100, ids),
    }
