"""The bulk import path keeps the row path's promises, on both backends: the same rows, counts
and search results; idempotent; bad records rejected alone with their line; resumable after
kill -9 with the keyword index whole (issue 14, item 4)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from dailypapers.errors import InputError
from dailypapers.ingest import loader
from dailypapers.ingest.bundled import sample_files
from dailypapers.ingest.loader import import_file
from dailypapers.models import ImportReport, PaperRecord, Parsed, SearchFilters
from dailypapers.runtime import Runtime
from dailypapers.search.keyword import keyword_index_for
from dailypapers.search.query import parse_query
from dailypapers.services.feed import counts
from dailypapers.store.bulk import SEARCH_TSV_SQL, TextVectors
from dailypapers.store.schema import features, paper_authors, paper_categories, papers, users
from import_helpers import FILES, kill_import_halfway, write_large_hf_file

QUERIES = ("language model", "diffusion image", "reinforcement learning agent", "video", "quasars")


@contextmanager
def _second_store(rt: Runtime, tmp_path: Path, name: str) -> Iterator[Runtime]:
    """Another fresh database on the same backend as `rt` (PostgreSQL: another database)."""
    url = sa.make_url(rt.settings.database_url or "")
    sqlite = url.get_backend_name() == "sqlite"
    database = f"{url.database}_{name}"
    if sqlite:
        other = f"sqlite:///{tmp_path / name}.sqlite3"
    else:
        _admin(rt, f"CREATE DATABASE {database}")
        other = url.set(database=database).render_as_string(hide_password=False)
    store = Runtime(rt.settings.model_copy(update={"database_url": other}))
    store.ensure_schema()
    try:
        yield store
    finally:
        store.close()
        if not sqlite:
            _admin(rt, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _admin(rt: Runtime, sql: str) -> None:
    with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(sql)


def stored(engine: sa.Engine) -> dict[str, object]:
    """Every row an import writes, without ids and timestamps, order-independent."""
    skip = {"id", "created_at", "modified_at"}
    with engine.connect() as conn:
        key = {r.id: r.arxiv_id or r.title_key for r in conn.execute(sa.select(papers))}
        rows = [
            tuple((c, r._mapping[c]) for c in r._mapping if c not in skip)
            for r in conn.execute(sa.select(papers))
        ]
        authors = [
            (key[r.paper_id], r.position, r.name) for r in conn.execute(sa.select(paper_authors))
        ]
        cats = [
            (key[r.paper_id], r.position, r.category)
            for r in conn.execute(sa.select(paper_categories))
        ]
        feats = [
            (key[r.paper_id], r.feature_date, r.imported_comments, r.hf_item is not None)
            for r in conn.execute(sa.select(features))
        ]
        names = conn.execute(sa.select(users.c.username)).scalars().all()
    return {
        "papers": sorted(rows, key=repr),
        "authors": sorted(authors, key=repr),
        "categories": sorted(cats, key=repr),
        "features": sorted(feats, key=repr),
        "users": sorted(names),
    }


def searched(engine: sa.Engine) -> list[list[str]]:
    """Keyword results (titles, best first) for a few queries."""
    index = keyword_index_for(engine)
    with engine.connect() as conn:
        titles = dict(conn.execute(sa.select(papers.c.id, papers.c.title)).all())
        return [
            [
                titles[i]
                for i, _ in index.search(conn, parse_query(q), k=15, filters=SearchFilters())
            ]
            for q in QUERIES
        ]


def _fts_is_whole(engine: sa.Engine) -> None:
    """SQLite: FTS5 checks its index against the papers table, the triggers are there, and
    the settings a bulk batch changes for its own writes are FTS5's defaults again.
    PostgreSQL: every paper's tsvector (most computed ahead by TextVectors) is what the
    trigger computes from its text."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            wrong = (
                f"SELECT count(*) FROM papers WHERE search_tsv IS DISTINCT FROM {SEARCH_TSV_SQL}"
            )
            assert conn.exec_driver_sql(wrong).scalar_one() == 0
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)"
        )
        triggers = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'papers'"
        ).scalars()
        assert set(triggers) == {"papers_fts_insert", "papers_fts_update", "papers_fts_delete"}
        config = dict(conn.exec_driver_sql("SELECT k, v FROM papers_fts_config").all())
        assert (config.get("automerge", 4), config.get("hashsize", 2**20)) == (4, 2**20)


def _fts_segments(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        query = "SELECT count(DISTINCT segid) FROM papers_fts_idx"
        return int(conn.exec_driver_sql(query).scalar_one())


def _inputs(tmp_path: Path) -> list[Path]:
    """Part of the bundled sample (HF records with features and submitters; a listing page,
    whose records carry no arXiv id and are joined by title), the arXiv snapshot sample, and
    a file repeating some of it changed, with one bad line."""
    hf = next(p for p in sample_files() if p.name.startswith("hf-"))
    with gzip.open(hf, "rt", encoding="utf-8") as full:
        head = [line for _, line in zip(range(300), full, strict=False)]
    part = tmp_path / "hf-part.jsonl"
    part.write_text("".join(head))
    listing = next(p for p in sample_files() if p.name.startswith("listing-"))
    lines = (FILES / "arxiv-snapshot.sample.jsonl").read_text().splitlines()
    changed = [json.loads(x) for x in lines[:6]]
    for n, record in enumerate(changed):
        record["title"] = f"Revised title number {n} about quasars"
        record["versions"].append({"version": "v9", "created": "Mon, 1 Jan 2024 00:00:00 GMT"})
    revised = tmp_path / "revised.jsonl"
    texts = [json.dumps(r) for r in changed]
    texts.insert(2, '{"id": "0704.9999", "title": ')  # line 3: broken JSON
    revised.write_text("\n".join([*texts, lines[7]]) + "\n")
    return [part, listing, FILES / "arxiv-snapshot.sample.jsonl", revised]


def _import_all(rt: Runtime, paths: list[Path], *, bulk: bool) -> ImportReport:
    total = ImportReport()
    for path in paths:
        total.merge(import_file(rt.engine, path, bulk=bulk, batch_size=7 if bulk else 500))
    return total


def _counts(report: ImportReport) -> tuple[int, int, int, list[str]]:
    return (
        report.inserted,
        report.updated,
        report.unchanged,
        [r.location for r in report.rejected],
    )


def test_bulk_and_row_paths_store_the_same(rt: Runtime, tmp_path: Path) -> None:
    paths = _inputs(tmp_path)
    row = _import_all(rt, paths, bulk=False)
    with _second_store(rt, tmp_path, "bulk") as store:
        bulk = _import_all(store, paths, bulk=True)
        assert _counts(bulk) == _counts(row)
        assert bulk.updated >= 6 and [r.location for r in bulk.rejected] == ["revised.jsonl:3"]
        assert stored(store.engine) == stored(rt.engine)
        assert searched(store.engine) == searched(rt.engine)
        assert all(searched(store.engine)), "every query finds something"
        _fts_is_whole(store.engine)

        again = _import_all(store, paths, bulk=True)  # the revision re-applies: 6 + 6 updates
        assert _counts(again) == _counts(_import_all(rt, paths, bulk=False))
        assert stored(store.engine) == stored(rt.engine)
        assert searched(store.engine) == searched(rt.engine)
        _fts_is_whole(store.engine)  # a small import into a larger store: merged, not optimised
        same = _import_all(store, paths[:2], bulk=True)
        assert (same.inserted, same.updated, same.unchanged) == (0, 0, same.total)


def test_bulk_update_reindexes_the_changed_text(rt: Runtime, tmp_path: Path) -> None:
    """A title changed by a bulk import is found by its new words and not by its old ones."""
    path = FILES / "arxiv-snapshot.sample.jsonl"
    import_file(rt.engine, path, bulk=True, batch_size=5)
    if rt.engine.dialect.name == "sqlite":  # a segment per batch, merged into one at the end
        assert _fts_segments(rt.engine) == 1
    record = json.loads(path.read_text().splitlines()[0])
    old_word = "diphoton"
    assert old_word in record["title"]
    record["title"] = "Zygomorphic quasars revisited"
    record["abstract"] = "Nothing about photons here."
    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps(record) + "\n")
    report = import_file(rt.engine, changed, fmt="arxiv-dump", bulk=True)
    assert (report.inserted, report.updated) == (0, 1)
    index = keyword_index_for(rt.engine)
    with rt.engine.connect() as conn:
        new = index.search(conn, parse_query("zygomorphic"), k=5, filters=SearchFilters())
        old = index.search(conn, parse_query(old_word), k=5, filters=SearchFilters())
        pid = conn.execute(sa.select(papers.c.id).where(papers.c.arxiv_id == "0704.0001")).scalar()
    assert [i for i, _ in new] == [pid]
    assert pid not in [i for i, _ in old]
    _fts_is_whole(rt.engine)


def test_bulk_rejects_bad_lines_and_refused_records_alone(rt: Runtime, tmp_path: Path) -> None:
    good = [
        {"arxiv_id": f"2401.0000{n}", "title": f"Good paper {n}", "abstract": "Fine."}
        for n in range(1, 5)
    ]
    lines = [json.dumps(g) for g in good]
    lines.insert(2, json.dumps({**good[0], "arxiv_id": "2401.00009", "code_url": "javascript:x"}))
    lines.insert(4, "{not json")
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(rt.engine, path, fmt="jsonl", bulk=True, batch_size=2)
    assert report.inserted == 4
    assert [r.location for r in report.rejected] == ["mixed.jsonl:3", "mixed.jsonl:5"]
    assert "only http(s) links" in report.rejected[0].reason
    with pytest.raises(InputError, match=r"mixed\.jsonl:3"):
        import_file(rt.engine, path, fmt="jsonl", bulk=True, strict=True)

    # Below the checks: a value the database itself refuses fails the bulk batch, which is
    # then written record by record, so only that record is rejected (see test_hardening_import).
    bad_title = "Nul\x00 byte" if rt.engine.dialect.name == "postgresql" else "Too big"
    bad = PaperRecord(title=bad_title, abstract="x", arxiv_id="2402.00009", upvotes=2**70)
    batch = [Parsed(f"f:{n}", PaperRecord(title=f"T{n}", abstract="x")) for n in range(1, 5)]
    batch.insert(2, Parsed("f:bad", bad))
    written = loader._write(rt.engine, batch, bulk=True)
    assert written.inserted == 4
    assert [r.location for r in written.rejected] == ["f:bad"]
    assert written.rejected[0].reason.startswith("the database refused it")
    assert "\n" not in written.rejected[0].reason
    _fts_is_whole(rt.engine)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bulk_reports_an_unreadable_file_like_the_row_path(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress((FILES / "arxiv-snapshot.sample.jsonl").read_bytes())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as row:
        import_file(rt.engine, path, fmt="arxiv-dump")
    with pytest.raises(InputError) as bulk:
        import_file(rt.engine, path, fmt="arxiv-dump", bulk=True)
    assert str(bulk.value) == str(row.value) and "truncated gzip" in str(bulk.value)


def _readers_of(path: Path) -> list[int]:
    """Pids of read-ahead child processes still reading `path`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"dailypapers.ingest.read_ahead" in cmdline and str(path).encode() in cmdline:
            found.append(int(proc.name))
    return found


def test_bulk_import_killed_halfway_then_rerun_ends_in_the_same_state(
    rt: Runtime, tmp_path: Path
) -> None:
    """On PostgreSQL the loader holds a batch back while its tsvectors are computed on a
    second connection: the kill loses both, and the rerun writes them."""
    big = tmp_path / "big.jsonl.gz"
    sqlite = rt.engine.dialect.name == "sqlite"
    total = write_large_hf_file(big, copies=300 if sqlite else 80)  # slow enough to kill
    env = {**os.environ, "DAILYPAPERS_IMPORT_BULK_BATCH_SIZE": "30"}
    cmd = [sys.executable, "-m", "dailypapers", "import", "--bulk", str(big)]
    kill_import_halfway(cmd, env, rt.engine, total)
    _fts_is_whole(rt.engine)  # the killed batch rolled back with its dropped triggers
    deadline = time.monotonic() + 10
    while _readers_of(big) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _readers_of(big), "the reading process outlived the killed import"

    subprocess.run(cmd, env=env, check=True, capture_output=True)
    _fts_is_whole(rt.engine)
    with _second_store(rt, tmp_path, "clean") as clean:
        import_file(clean.engine, big)  # the row path, uninterrupted
        assert stored(rt.engine) == stored(clean.engine)
        assert searched(rt.engine) == searched(clean.engine)
    assert counts(rt.engine)["papers"] == total


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_text_vectors_are_computed_ahead_and_give_none_for_a_refused_text(rt: Runtime) -> None:
    """What the bulk path sends with the rows: one tsvector per distinct text; a text the
    server refuses (NUL) leaves the batch to the trigger, where it is rejected alone."""
    records = [PaperRecord(title=f"Zebra {n}", abstract="Herds.", authors=["Ada"]) for n in (1, 2)]
    vectors = TextVectors(rt.engine)
    try:
        computed = vectors.compute([*records, records[0]]).result()
        refused = vectors.compute([PaperRecord(title="Nul\x00", abstract="x")]).result()
        again = vectors.compute(records[:1]).result()
    finally:
        vectors.close()
    assert len(computed) == 2 and all(isinstance(v, bytes) for v in computed.values())
    assert refused == {} and len(again) == 1
