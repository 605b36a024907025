"""Alembic environment: runs on the connection handed over by `dailypapers.store.migrate`."""

from __future__ import annotations

from alembic import context

from dailypapers.store.schema import include_object, metadata


def run_migrations() -> None:
    """Migrate the connection in `config.attributes['connection']` (never a URL from a file)."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
