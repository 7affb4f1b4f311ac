"""Alembic environment: always run programmatically by `catalog.store.open_catalog`."""

from alembic import context

from papersift.catalog.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
