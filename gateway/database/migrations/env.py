"""Alembic's environment: runs on the connection :func:`gateway.database.migrate` passes."""

from __future__ import annotations

from alembic import context

from gateway.database.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only gateway.database.migrate runs these
    raise RuntimeError("run the migrations with `diary-gateway migrate`")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
