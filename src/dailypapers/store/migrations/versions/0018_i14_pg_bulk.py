"""PostgreSQL's ``search_tsv`` becomes a plain column kept by a trigger, so a bulk import can
supply the tsvectors it had computed on a second connection (store.bulk).

A generated column is always computed by the process that inserts the row: on two cores the
bulk path's one server process spent about half its time in ``to_tsvector`` while the other
core was mostly idle. The trigger computes exactly what the generated column did (migration
0016) whenever a row is inserted without a tsvector, or updated with new text and the same
tsvector; a tsvector written with the row is kept. Only store.bulk writes one, computed by
the server from the row's own text with the same expression (tests check every row).

``DROP EXPRESSION`` keeps the stored values: no rewrite, the GIN index stays. SQLite is
untouched.

Revision ID: 0018_i14_pg_bulk
Revises: 0017_i12_feature_pages
"""

from __future__ import annotations

from alembic import op

revision = "0018_i14_pg_bulk"
down_revision = "0017_i12_feature_pages"
branch_labels = None
depends_on = None


def _expression(row: str) -> str:
    """Migration 0016's expression over the columns of `row` (a record name, or none)."""
    prefix = f"{row}." if row else ""
    return (
        f"setweight(to_tsvector('english', {prefix}title), 'A') || "
        f"setweight(to_tsvector('english', {prefix}abstract), 'B') || "
        f"setweight(to_tsvector('english', {prefix}authors_text), 'C')"
    )


_FUNCTION = f"""
CREATE FUNCTION papers_search_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.search_tsv IS NULL THEN
            NEW.search_tsv := {_expression("NEW")};
        END IF;
    ELSIF NEW.search_tsv IS NOT DISTINCT FROM OLD.search_tsv
        AND (NEW.title, NEW.abstract, NEW.authors_text)
            IS DISTINCT FROM (OLD.title, OLD.abstract, OLD.authors_text) THEN
        NEW.search_tsv := {_expression("NEW")};
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE papers ALTER COLUMN search_tsv DROP EXPRESSION")
    op.execute(_FUNCTION)
    op.execute(
        "CREATE TRIGGER papers_search_tsv BEFORE INSERT OR UPDATE ON papers "
        "FOR EACH ROW EXECUTE FUNCTION papers_search_tsv()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER papers_search_tsv ON papers")
    op.execute("DROP FUNCTION papers_search_tsv()")
    op.execute("ALTER TABLE papers DROP COLUMN search_tsv")  # drops its GIN index too
    column = f"search_tsv tsvector GENERATED ALWAYS AS ({_expression('')}) STORED"
    op.execute(f"ALTER TABLE papers ADD COLUMN {column}")
    op.execute("CREATE INDEX papers_fts ON papers USING gin (search_tsv)")
