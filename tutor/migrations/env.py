"""Alembic environment: migrations run on the connection `tutor.migrations.upgrade` passes in."""

from __future__ import annotations

from alembic import context

from tutor.tables import Base


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Run the migrations through tutor.migrations.upgrade(engine), not the alembic CLI.")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:  # run by alembic; a plain import (module walk) does nothing
    run()
