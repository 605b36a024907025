"""Bulk writes for large imports: `papers.plan_upsert`'s plan, written in a few large
statements per batch, with the keyword index fed once per batch instead of once per row.

The plan (which record is new, which changed, merged how) is the same as on the row path,
so both paths store the same rows; only the writing differs.

SQLite: new papers get their ids up front (the importer holds the write lock from BEGIN
IMMEDIATE, and SQLite would pick the same ones: max(id) + 1 onwards), rows go in by
executemany, and the FTS5 triggers (migration 0006) are dropped for the transaction and
recreated, verbatim, before it commits, while the batch's new and changed papers are added
to the index in one INSERT ... SELECT. DDL is transactional in SQLite, so no other connection
ever sees the triggers missing and a killed import rolls back to them with its batch. (Python
3.11's sqlite3 cannot switch triggers off for one connection, SQLITE_DBCONFIG_ENABLE_TRIGGER.)
Fed one row at a time by the triggers, FTS5 indexes the same text more slowly
(benchmarks/import_throughput.py prints both). Each batch also writes its postings as one
segment left unmerged (`_fts_bulk_config`), and `finish_bulk` merges the import's segments
once at the end: merging them batch by batch (FTS5's automerge) rewrote each posting several
times and cost as much as tokenising.

PostgreSQL: ids come from the papers sequence, the rows are COPY'd into a temporary staging
table and merged with one INSERT ... SELECT ... ON CONFLICT (id) DO UPDATE; authors and
categories are COPY'd straight into their tables once the batch's old ones are deleted. The
keyword index's tsvectors (`search_tsv`, kept by a trigger since migration 0018) come with the
rows: `TextVectors` has the server compute them on a second connection, a batch ahead, so
that a second server process does that half of the work while the first merges the batch
before (about half the server's time per record; on two cores the other core was idle).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import sqlalchemy as sa

from dailypapers.models import PaperRecord
from dailypapers.store.database import transaction
from dailypapers.store.papers import (
    AUTHOR_COLUMNS,
    CATEGORY_COLUMNS,
    ChildRow,
    Hashes,
    Slot,
    UpsertPlan,
    UpsertResult,
    authors_text,
    child_rows,
    paper_row,
    plan_upsert,
)
from dailypapers.store.schema import paper_authors, paper_categories, papers, utcnow

FTS_TABLE = "papers_fts"
_IN_CHUNK = 10_000
"""Ids per `IN (...)` list: well under SQLite's 32,766 bound parameters."""


def bulk_upsert_papers(
    conn: sa.Connection,
    batch: Sequence[PaperRecord],
    hashes: Hashes = None,
    vectors: Future[Vectors] | None = None,
) -> UpsertResult:
    """`papers.upsert_papers` for large batches: same plan, same outcomes, same rows.
    `vectors`: on PostgreSQL, the batch's tsvectors from `TextVectors.compute`, if asked for."""
    plan = plan_upsert(conn, batch, hashes)
    if conn.dialect.name == "postgresql":
        _write_postgres(conn, plan, vectors)
    else:
        _write_sqlite(conn, plan)
    return plan.result()


def finish_bulk(engine: sa.Engine, written: int) -> None:
    """After a bulk import that inserted or updated `written` papers, what makes them as
    quick to search as before: on SQLite, the batches' keyword-index segments merged and the
    WAL copied into the database; on PostgreSQL nothing is left to do.

    When the import wrote at least half of the stored papers (a first large import), the
    whole index becomes one segment (FTS5 'optimize': one pass over it). Otherwise rewriting
    the whole index would cost more than the import, so the new segments are merged as FTS5's
    automerge would have merged them ('merge' steps until there is nothing to merge).

    Each step is its own transaction, and the index is complete without them: an import
    killed before this point leaves an index that finds everything, in more segments (at
    most 15 on each level: FTS5 merges a level once it holds 16), until the next bulk import
    ends here."""
    if engine.dialect.name != "sqlite":
        return
    with transaction(engine) as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
        if written * 2 >= stored:
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")
    while written * 2 < stored and _merge_step(engine):
        pass
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {_DEFAULT_CHECKPOINT_PAGES}")


_MERGE_PAGES = 2000
"""Index pages one 'merge' step writes (about 8 MB): a short transaction each."""


def _merge_step(engine: sa.Engine) -> bool:
    """One FTS5 'merge' step; whether it did any work (FTS5's documented test: the database's
    total_changes() moves by two or more)."""
    with transaction(engine) as conn:
        before = conn.exec_driver_sql("SELECT total_changes()").scalar_one()
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('merge', {_MERGE_PAGES})"
        )
        return bool(conn.exec_driver_sql("SELECT total_changes()").scalar_one() - before >= 2)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _stale_children(plan: UpsertPlan) -> list[int]:
    """Stored papers whose authors or categories this batch replaces (new ones have none)."""
    return [s.paper_id for s in plan.changed if s.children_changed]


def _bound_rows(dialect: sa.Dialect, slots: list[Slot]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every column of papers, and each slot's row as the driver takes it: converted by the
    column types' own bind processors (UTC datetimes, JSON), so that the rows are stored as
    an INSERT through SQLAlchemy would store them, without its per-row work. created_at and
    modified_at are the batch's time, converted once."""
    columns = [c.name for c in papers.columns]
    now = utcnow()
    fixed = {n: _bind_processor(papers.c[n], dialect)(now) for n in ("created_at", "modified_at")}
    convert = [
        (i, process)
        for i, name in enumerate(columns)
        if name not in fixed and (process := _processor(papers.c[name], dialect)) is not None
    ]
    rows = []
    for slot in slots:
        row = {**paper_row(slot), "id": slot.paper_id, **fixed}
        values = [row[name] for name in columns]
        for i, bind in convert:
            values[i] = bind(values[i])
        rows.append(tuple(values))
    return columns, rows


def _processor(column: sa.Column[Any], dialect: sa.Dialect) -> Any:
    """The column type's bind processor for `dialect`; None when values go to the driver as
    they are."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _bind_processor(column: sa.Column[Any], dialect: sa.Dialect) -> Any:
    return _processor(column, dialect) or (lambda value: value)


# --- SQLite -----------------------------------------------------------------------------


BULK_CACHE_KIB = 64 * 1024
"""SQLite page cache of the importing connection (default 2 MiB): the title-key index and
the FTS5 segments being merged outgrow the default long before a million papers."""

BULK_CHECKPOINT_PAGES = 100_000
"""WAL pages (4 KiB) after which the importing connection checkpoints (default 1,000). A
5,000-record batch writes more than 1,000 pages, so by default every commit copied its
pages into the database and synced it; with the bound raised, a page rewritten by several
batches (FTS5 segments, index interior pages) is copied once. `finish_bulk` checkpoints at
the end, inside the import's time."""

_DEFAULT_CHECKPOINT_PAGES = 1000
_FTS_BULK_CONFIG = {"automerge": 0, "hashsize": 64 * 2**20}
"""FTS5 settings while a batch feeds the index. automerge 0: the batch's new segment is not
merged into the older ones as it is written (FTS5 still merges a level once it holds
`crisismerge`, 16, segments, so their number stays bounded); `finish_bulk` merges them once.
hashsize: the batch's postings are collected in memory and written as one segment instead of
one per MiB, each then merged again."""
_FTS_DEFAULTS = {"automerge": 4, "hashsize": 2**20}
"""FTS5's own defaults, restored when the table has no stored value."""


def _write_sqlite(conn: sa.Connection, plan: UpsertPlan) -> None:
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")  # this connection only
    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(papers.c.id), 0))).scalar_one()
    for offset, slot in enumerate(plan.new, start=first + 1):
        slot.paper_id = offset
    retext = [s.paper_id for s in plan.changed if s.text_changed]
    with _fts_triggers_dropped(conn) as indexed, _fts_bulk_config(conn):
        _feed_fts(conn, indexed, retext, remove=True)  # FTS5 needs the old text to remove it
        if plan.new:
            names, rows = _bound_rows(conn.dialect, plan.new)
            marks = ", ".join("?" for _ in names)
            conn.exec_driver_sql(f"INSERT INTO papers ({', '.join(names)}) VALUES ({marks})", rows)
        if plan.changed:
            update = sa.update(papers).where(papers.c.id == sa.bindparam("pid"))
            conn.execute(update, [{"pid": s.paper_id, **paper_row(s)} for s in plan.changed])
        _feed_fts(conn, indexed, [s.paper_id for s in plan.new] + retext, remove=False)
    stale = _stale_children(plan)
    for ids in _chunks(stale):
        conn.execute(sa.delete(paper_authors).where(paper_authors.c.paper_id.in_(ids)))
        conn.execute(sa.delete(paper_categories).where(paper_categories.c.paper_id.in_(ids)))
    authors, cats = child_rows(plan.with_new_children)
    _insert_rows(conn, paper_authors.name, AUTHOR_COLUMNS, authors)
    _insert_rows(conn, paper_categories.name, CATEGORY_COLUMNS, cats)


def _insert_rows(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: list[ChildRow]
) -> None:
    """Plain executemany: integers and text need no type processing."""
    if rows:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        conn.exec_driver_sql(sql, rows)


@contextmanager
def _fts_triggers_dropped(conn: sa.Connection) -> Iterator[list[str]]:
    """Drop the triggers that feed the keyword index from papers, for the body of the block,
    then recreate them exactly as they were; yields the index's columns.

    Must run inside the write transaction: if the block raises, the rollback restores them.
    """
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'papers' "
        f"AND sql LIKE '%{FTS_TABLE}%'"
    ).all()
    columns = [row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({FTS_TABLE})")]
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield columns
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)


@contextmanager
def _fts_bulk_config(conn: sa.Connection) -> Iterator[None]:
    """`_FTS_BULK_CONFIG` for the body of the block, then the table's own settings again,
    in the same transaction: other connections, and this one's later writes, never see them.

    FTS5 writes the batch's segment before the settings are restored (measured: 10 batches
    leave 10 segments), so the restored automerge does not merge it at commit."""
    stored: dict[str, object] = dict(
        conn.exec_driver_sql(
            f"SELECT k, v FROM {FTS_TABLE}_config WHERE k IN ('automerge', 'hashsize')"
        ).all()
    )
    for key, value in _FTS_BULK_CONFIG.items():
        _set_fts(conn, key, value)
    yield
    for key in _FTS_BULK_CONFIG:
        _set_fts(conn, key, int(str(stored.get(key, _FTS_DEFAULTS[key]))))


def _set_fts(conn: sa.Connection, key: str, value: int) -> None:
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES (?, ?)", (key, value))


def _feed_fts(conn: sa.Connection, columns: list[str], ids: Sequence[int], *, remove: bool) -> None:
    """Add these papers' current text to the external-content FTS5 index, or remove it (its
    'delete' command takes the text as indexed, so removal runs before the rows change)."""
    names = ", ".join(columns)
    command = f"{FTS_TABLE}, " if remove else ""
    value = "'delete', " if remove else ""
    for chunk in _chunks(ids):
        marks = ", ".join("?" for _ in chunk)
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} ({command}rowid, {names}) "
            f"SELECT {value}id, {names} FROM papers WHERE id IN ({marks})",
            tuple(chunk),
        )


# --- PostgreSQL -------------------------------------------------------------------------

_STAGE = "papers_stage"
_STAGE_TSV = "papers_stage_tsv"
_KEEP_ON_UPDATE = frozenset({"id", "created_at"})


Text = tuple[str, str, str]
"""A paper's indexed text: title, abstract, authors_text (as papers stores them)."""
Vectors = dict[Text, bytes]
"""Tsvectors (PostgreSQL's binary form) by the text they index."""

SEARCH_TSV_SQL = (
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', abstract), 'B') || "
    "setweight(to_tsvector('english', authors_text), 'C')"
)
"""What the trigger of migration 0018 computes for a row (0016's expression)."""


def indexed_text(record: PaperRecord) -> Text:
    """The text `papers.paper_row` stores for the record, as the keyword index reads it."""
    return record.title, record.abstract, authors_text(record.authors)


class TextVectors:
    """PostgreSQL: the tsvectors of a batch's text, computed by the server on a connection of
    its own, in a thread, while the importing connection writes the batch before.

    Only a read: nothing it does needs undoing when an import is killed. A failure (say a
    text the server refuses) yields no vectors, and the trigger computes them with the rows
    (where a refused text fails the batch as before, then only its record)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._conn = engine.connect()
        self._dbapi: Any = self._conn.connection.driver_connection
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsvectors")

    def compute(self, records: Sequence[PaperRecord]) -> Future[Vectors]:
        """Start computing the records' tsvectors (after those asked for before)."""
        texts = list({indexed_text(r) for r in records})
        return self._pool.submit(self._vectors, texts)

    def _vectors(self, texts: list[Text]) -> Vectors:
        import psycopg

        columns = [list(column) for column in zip(*texts, strict=True)] or [[], [], []]
        try:
            with self._dbapi.cursor() as cur:
                cur.execute(
                    f"SELECT {SEARCH_TSV_SQL} FROM unnest(%s::text[], %s::text[], %s::text[]) "
                    "WITH ORDINALITY AS t(title, abstract, authors_text, n) ORDER BY n",
                    columns,
                    binary=True,  # unparsed, as the COPY in _merge_papers sends them back
                )
                found = [tsv for (tsv,) in cur.fetchall()]
            self._dbapi.rollback()
        except psycopg.Error:
            with suppress(psycopg.Error):
                self._dbapi.rollback()
            return {}
        return dict(zip(texts, found, strict=True))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._conn.close()


def _write_postgres(
    conn: sa.Connection, plan: UpsertPlan, vectors: Future[Vectors] | None = None
) -> None:
    import psycopg  # the PostgreSQL driver; only needed here

    slots = plan.new + plan.changed
    dbapi: Any = conn.connection.driver_connection
    try:
        with dbapi.cursor() as cur:
            _allocate_ids(cur, plan.new)
            if slots:
                _merge_papers(cur, conn.dialect, slots, vectors.result() if vectors else {})
            stale = _stale_children(plan)
            if stale:
                cur.execute("DELETE FROM paper_authors WHERE paper_id = ANY(%s)", (stale,))
                cur.execute("DELETE FROM paper_categories WHERE paper_id = ANY(%s)", (stale,))
            authors, cats = child_rows(plan.with_new_children)
            _copy(cur, paper_authors.name, AUTHOR_COLUMNS, authors)
            _copy(cur, paper_categories.name, CATEGORY_COLUMNS, cats)
    except psycopg.Error as exc:  # as SQLAlchemy would raise it, so callers classify it alike
        raise sa.exc.DBAPIError.instance(
            "bulk paper write", None, exc, psycopg.Error, dialect=conn.dialect
        ) from exc


def _allocate_ids(cur: Any, slots: list[Slot]) -> None:
    if not slots:
        return
    cur.execute(
        "SELECT nextval(pg_get_serial_sequence('papers', 'id')) FROM generate_series(1, %s)",
        (len(slots),),
    )
    for slot, (pid,) in zip(slots, cur.fetchall(), strict=True):
        slot.paper_id = pid


def _merge_papers(cur: Any, dialect: sa.Dialect, slots: list[Slot], vectors: Vectors) -> None:
    """COPY the rows into a staging table, then one upsert: new ids insert, stored ones
    update (every column but id and created_at, as the row path's UPDATE does).

    The rows' tsvectors that `vectors` has (by their text) go into a second staging table, in
    PostgreSQL's binary form (parsing their text form cost as much as a third of computing
    them); the others are NULL, which the trigger fills in (an ON CONFLICT update sees the
    tsvector the insert trigger made)."""
    columns, rows = _bound_rows(dialect, slots)
    names = ", ".join(columns)
    cur.execute(
        f"CREATE TEMPORARY TABLE {_STAGE} ON COMMIT DROP AS SELECT {names} FROM papers WITH NO DATA"
    )
    with cur.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(f"CREATE TEMPORARY TABLE {_STAGE_TSV} (id bigint, tsv tsvector) ON COMMIT DROP")
    with cur.copy(f"COPY {_STAGE_TSV} (id, tsv) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "bytea"])  # bytea: the bytes are sent as they are
        for slot in slots:
            record = slot.record
            tsv = vectors.get(indexed_text(record))
            if tsv is not None:
                copy.write_row((slot.paper_id, tsv))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in _KEEP_ON_UPDATE)
    selected = ", ".join(f"s.{c}" for c in columns)
    cur.execute(
        f"INSERT INTO papers ({names}, search_tsv) SELECT {selected}, v.tsv FROM {_STAGE} s "
        f"LEFT JOIN {_STAGE_TSV} v ON v.id = s.id ORDER BY s.id "
        f"ON CONFLICT (id) DO UPDATE SET {updates}, search_tsv = EXCLUDED.search_tsv"
    )
    cur.execute(f"DROP TABLE {_STAGE}, {_STAGE_TSV}")


def _copy(cur: Any, table: str, columns: Sequence[str], rows: list[ChildRow]) -> None:
    if rows:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
