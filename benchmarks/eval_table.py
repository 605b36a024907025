"""The search-quality table: the collections' BM25 baseline, our keyword leg, dense and hybrid,
per collection, for the code as it is and (``--before REV``) for an earlier commit.

    python benchmarks/eval_table.py --cache-dir CACHE --before e688783 --postgres \\
        shared/eval/{cisi,cranfield,med,npl}

Each revision runs in its own process with that revision's ``src`` first on the path (the
earlier one is extracted with ``git archive``), so "before" is exactly the code that was
shipped. Every query goes through the revision's own legs: SQLite FTS5 with the keyword index
and fusion defaults of that code, the vector leg (usearch) from ``CACHE/NAME.npz`` embeddings
(benchmarks/fill_eval_cache.py). With ``--postgres`` the same documents are also loaded into a
throw-away PostgreSQL (pgserver) and its keyword leg is measured; its "hybrid" fuses that leg
with the same vector leg (the vectors do not depend on the database). nDCG@10 with trec_eval's
definitions (dailypapers.search.evaluate); all queries of a collection count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
README_BM25 = {
    "cisi": 0.3581,
    "cranfield": 0.3687,
    "med": 0.6757,
    "npl": 0.4289,
}
"""The best BM25 nDCG@10 per collection in shared/eval/README.md ("Our BM25 baseline": bm25s
0.2.14, lucene method, Porter stemming; k1/b 1.2/0.75, NPL 0.9/0.4), quoted, not recomputed
(bm25s and PyStemmer are not dependencies of this project)."""


def legs(folders: list[Path], cache_dir: Path, postgres: bool) -> dict[str, Any]:
    """Runs of the code on sys.path: {collection: {run: {query id: [doc ids]}}}.

    Uses only functions that exist in every revision compared, so one script serves both.
    """
    from dailypapers.models import SearchFilters
    from dailypapers.search.embed_cache import CachedEmbedder
    from dailypapers.search.embedder import load_embedder
    from dailypapers.search.eval_store import DEPTH, _indexed, _parse
    from dailypapers.search.evaluate import load_beir

    embedder = load_embedder(threads=2)
    out: dict[str, Any] = {}
    none = SearchFilters()
    for folder in folders:
        collection = load_beir(folder)
        cached = CachedEmbedder(embedder, cache_dir / f"{folder.name}.npz")
        queries = {qid: _parse(text) for qid, text in collection.queries.items()}
        with tempfile.TemporaryDirectory(prefix="dp-evaltable-") as work:
            searcher, doc_of = _indexed(collection, embedder=cached, work_dir=Path(work))
            runs: dict[str, dict[str, list[str]]] = {"keyword": {}, "dense": {}, "hybrid": {}}
            dense_legs = {}
            for qid, query in queries.items():
                both = searcher.legs(query, none, depth=DEPTH)
                dense_legs[qid] = both.dense
                for name, ranked in (
                    ("keyword", both.keyword),
                    ("dense", both.dense),
                    ("hybrid", searcher.fusion.fuse(both.keyword, both.dense)),
                ):
                    runs[name][qid] = [doc_of[p] for p, _ in ranked[:DEPTH]]
            if postgres:
                runs |= _postgres_runs(collection, queries, dense_legs, doc_of, searcher.fusion)
            searcher.close()
        cached.save()
        out[folder.name] = runs
        print(f"  {folder.name} done", file=sys.stderr, flush=True)
    return out


def _postgres_runs(
    collection: Any,
    queries: dict[str, Any],
    dense: dict[str, Any],
    doc_of: dict[int, str],
    fusion: Any,
) -> dict[str, dict[str, list[str]]]:
    """The PostgreSQL keyword leg over the same documents (inserted in the same order, so the
    paper ids match the SQLite store's), and its fusion with the SQLite store's vector leg."""
    import pgserver

    from dailypapers.models import SearchFilters
    from dailypapers.search.eval_store import DEPTH
    from dailypapers.search.keyword import keyword_index_for
    from dailypapers.store import migrate
    from dailypapers.store.database import create_engine, transaction
    from dailypapers.store.search import insert_documents

    runs: dict[str, dict[str, list[str]]] = {"keyword (PostgreSQL)": {}, "hybrid (PostgreSQL)": {}}
    with tempfile.TemporaryDirectory(prefix="dp-evaltable-pg-") as pgdir:
        server = pgserver.get_server(pgdir, cleanup_mode="stop")
        try:
            engine = create_engine(
                server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
            )
            migrate.upgrade(engine)
            doc_ids = list(collection.corpus)
            with transaction(engine) as conn:
                ids = insert_documents(
                    conn, [(collection.corpus[d].title, collection.corpus[d].text) for d in doc_ids]
                )
            pg_doc = dict(zip(ids, doc_ids, strict=True))
            index = keyword_index_for(engine)
            by_doc = {d: p for p, d in doc_of.items()}
            with engine.connect() as conn:
                for qid, query in queries.items():
                    ranked = index.search(conn, query, k=DEPTH, filters=SearchFilters())
                    runs["keyword (PostgreSQL)"][qid] = [pg_doc[p] for p, _ in ranked]
                    as_sqlite = [(by_doc[pg_doc[p]], s) for p, s in ranked]
                    fused = fusion.fuse(as_sqlite, dense[qid])
                    runs["hybrid (PostgreSQL)"][qid] = [doc_of[p] for p, _ in fused[:DEPTH]]
            engine.dispose()
        finally:
            server.cleanup()
    return runs


def _revision_src(rev: str, into: Path) -> Path:
    """``src`` of commit ``rev``, extracted under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "src"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def _child(src: Path, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """This script's ``--legs-only`` mode in a process whose imports come from ``src``."""
    command = [
        sys.executable,
        __file__,
        "--legs-only",
        str(out),
        "--cache-dir",
        str(args.cache_dir),
    ]
    command += ["--postgres"] if args.postgres else []
    command += [str(f) for f in args.folders]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(command, check=True, env=env)
    return json.loads(out.read_text())


def _scores(runs: dict[str, Any], folders: list[Path]) -> dict[str, dict[str, float]]:
    """nDCG@10 per run name and collection."""
    from dailypapers.search.evaluate import load_beir, ndcg_at_k

    table: dict[str, dict[str, float]] = {}
    for folder in folders:
        collection = load_beir(folder)
        for name, run in runs[folder.name].items():
            table.setdefault(name, {})[folder.name] = ndcg_at_k(
                run, collection.qrels, 10, list(collection.queries)
            )
    return table


def main() -> None:
    """Print one markdown table: a row per run (and revision), a column per collection."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--before", help="an earlier commit to compare with (e.g. e688783)")
    parser.add_argument("--postgres", action="store_true", help="also the PostgreSQL keyword leg")
    parser.add_argument("--legs-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args()
    args.folders = [f.resolve() for f in args.folders]
    args.cache_dir = args.cache_dir.resolve()
    if args.legs_only:
        args.legs_only.write_text(json.dumps(legs(args.folders, args.cache_dir, args.postgres)))
        return
    revisions: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="dp-evaltable-") as tmp:
        if args.before:
            print(f"before = {args.before}", file=sys.stderr)
            src = _revision_src(args.before, Path(tmp) / "before")
            revisions["before"] = _child(src, args, Path(tmp) / "before.json")
        print("after = the working tree", file=sys.stderr)
        revisions["after"] = _child(REPO / "src", args, Path(tmp) / "after.json")
    sys.path.insert(0, str(REPO / "src"))
    names = [f.name for f in args.folders]
    print("| run | " + " | ".join(names) + " | mean |")
    print("|---|" + "---:|" * (len(names) + 1))
    if all(n in README_BM25 for n in names):
        baseline = [README_BM25[n] for n in names]
        cells = " | ".join(f"{v:.4f}" for v in baseline)
        mean = sum(baseline) / len(baseline)
        print(f"| bm25 (shared/eval README baseline) | {cells} | {mean:.4f} |")
    order = ["keyword", "keyword (PostgreSQL)", "dense", "hybrid", "hybrid (PostgreSQL)"]
    tables = {label: _scores(runs, args.folders) for label, runs in revisions.items()}
    for run in order:
        for label, table in tables.items():
            if run not in table:
                continue
            row = [table[run][n] for n in names]
            cells = " | ".join(f"{v:.4f}" for v in row)
            print(f"| {run}, {label} | {cells} | {sum(row) / len(row):.4f} |")


if __name__ == "__main__":
    main()
