"""Search commands: search, similar, reindex, eval; thin shells over dailypapers.search."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dailypapers.cli.common import console, print_json, runtime
from dailypapers.errors import InputError
from dailypapers.models import SearchFilters, SearchHit
from dailypapers.periods import parse_date
from dailypapers.runtime import Runtime
from dailypapers.search.embed_cache import CachedEmbedder
from dailypapers.search.eval_store import MODES, evaluate_folder
from dailypapers.search.sync import (
    ModelProgress,
    SyncReport,
    pending,
    progress,
    semantic_search_enabled,
)
from dailypapers.store.papers import paper_id_for_arxiv

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Attach the search commands to the root app."""
    app.command()(search)
    app.command()(similar)
    app.command()(reindex)
    app.command("eval")(eval_)


def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", -excluded, author:, cat:, year:')],
    limit: Annotated[int, typer.Option(help="Results to show.")] = 20,
    since: Annotated[str | None, typer.Option(help="Published on or after, YYYY-MM-DD.")] = None,
    cat: Annotated[list[str] | None, typer.Option(help="arXiv category (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Search papers by keyword and by meaning."""
    if not query.strip():
        raise InputError("empty query: give some words to search for")
    start = parse_date(since) if since else None
    with runtime() as rt:
        filters = SearchFilters(since=start, categories=tuple(cat or ()))
        page = rt.searcher.search(query, limit=limit, filters=filters)
    _show(page.hits, as_json=as_json, title=f"{query} ({page.total} candidates)")


def similar(
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id of a stored paper.")],
    limit: Annotated[int, typer.Option(help="Papers to show.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Papers nearest in meaning to a stored paper."""
    with runtime() as rt:
        with rt.engine.connect() as conn:
            pid = paper_id_for_arxiv(conn, arxiv_id)
        if pid is None:
            raise InputError(f"{arxiv_id}: no such paper here")
        hits = rt.searcher.similar(pid, k=limit)
    if not hits and not as_json:
        console.print("no vectors yet: run `dailypapers reindex`")
    _show(hits, as_json=as_json, title=f"Similar to {arxiv_id}")


def reindex(
    status: Annotated[
        bool,
        typer.Option(
            "--status", help="Show which model serves searches and how far the configured one is."
        ),
    ] = False,
) -> None:
    """Embed papers that lack a current vector and refresh the vector index; resumable.

    After a model change every paper is embedded again while searches keep using the old
    model's vectors; the new model takes over when it covers every paper."""
    with runtime() as rt:
        if status:
            _show_progress(progress(rt.engine, rt.embedding_model_id))
            return
        report = sync_with_progress(rt)
        done = progress(rt.engine, rt.embedding_model_id)
    console.print(f"embedded {report.embedded:,} papers; {report.kept:,} vectors still current")
    _show_progress(done)


def _show_progress(state: ModelProgress) -> None:
    share = state.embedded / state.papers if state.papers else 1.0
    console.print(
        f"configured model: {state.configured}: {state.embedded:,} of {state.papers:,} papers "
        f"embedded ({share:.0%})"
    )
    if state.switching:
        console.print(f"searches use {state.serving} until the configured model is complete")
    elif state.serving is None:
        console.print("no vectors yet: search by meaning starts with `dailypapers reindex`")


def sync_with_progress(rt: Runtime) -> SyncReport:
    """Embed what is stale with a progress bar (batches are committed as they finish)."""
    total = pending(rt.engine, rt.embedding_model_id)
    with Progress(
        TextColumn("[bold]embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("embedding", total=total)
        return rt.sync_vectors(on_batch=lambda n: progress.advance(task, n))


INLINE_EMBED_LIMIT = 1000  # about a minute of embedding on two cores


def after_import(rt: Runtime) -> None:
    """Hook for the end of an import: make new and edited papers findable by meaning.

    Keyword search is already current (the database maintains it). Vectors are kept up to
    date once semantic search is on (the bundled sample turns it on; on an empty instance,
    `dailypapers reindex` does), and only for small batches: a large import is left to the
    background sync of `dailypapers serve` or to `reindex`, since embedding takes about
    1/30 s per abstract on two cores.
    """
    if not semantic_search_enabled(rt.engine):
        console.print(
            "search: keywords are indexed; `dailypapers reindex` enables search by meaning"
        )
        return
    waiting = pending(rt.engine, rt.embedding_model_id)
    if waiting > INLINE_EMBED_LIMIT:
        console.print(
            f"search: {waiting:,} papers wait for vectors; `dailypapers serve` embeds them "
            "in the background, or run `dailypapers reindex` now"
        )
        return
    report = sync_with_progress(rt)
    if report.embedded:
        console.print(f"search: embedded {report.embedded:,} new or edited papers")


def eval_(
    folder: Annotated[
        Path, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels.tsv.")
    ],
    cache: Annotated[
        Path | None,
        typer.Option(help="Embedding cache file (.npz); default DATA_DIR/eval-cache/NAME.npz."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """nDCG@10, MAP@100, Recall@100 of keyword, vector and hybrid search on a test collection,
    indexed in a temporary store."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a directory")
    with runtime(ensure_schema=False) as rt:
        cache_path = cache or rt.settings.data_dir / "eval-cache" / f"{folder.resolve().name}.npz"
        embedder = CachedEmbedder(rt.embedder, cache_path)
        with tempfile.TemporaryDirectory(prefix="dailypapers-eval-") as work:
            scores = evaluate_folder(folder, embedder=embedder, work_dir=Path(work))
        embedder.save()
    if as_json:
        print_json(scores)
        return
    _show_scores(folder.name, scores)


def _show_scores(name: str, scores: dict[str, dict[str, float]]) -> None:
    table = Table(title=f"Search quality on {name}", title_justify="left")
    table.add_column("")
    for metric in ("ndcg@10", "map@100", "recall@100"):
        table.add_column(metric, justify="right")
    for mode in MODES:
        table.add_row(mode, *(f"{v:.4f}" for v in scores[mode].values()))
    console.print(table)


def _show(hits: list[SearchHit], *, as_json: bool, title: str) -> None:
    if as_json:
        print_json([_summary(h) for h in hits])
        return
    table = Table(title=title, title_justify="left")
    for col in ("score", "arXiv", "title", "published"):
        table.add_column(col, overflow="fold")
    for h in hits:
        day = h.paper.published_at.date().isoformat() if h.paper.published_at else ""
        table.add_row(f"{h.score:.4f}", h.paper.arxiv_id or "", h.paper.title, day)
    console.print(table)


def _summary(hit: SearchHit) -> dict[str, Any]:
    p = hit.paper
    return {
        "arxiv_id": p.arxiv_id,
        "title": p.title,
        "score": hit.score,
        "published_at": p.published_at,
        "authors": p.authors,
        "categories": p.categories,
        "snippet_html": hit.snippet_html,
    }
