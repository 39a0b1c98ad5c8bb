"""Alembic environment: runs on the connection Preflight hands it (see storage.engine.upgrade)."""

from alembic import context
from sqlmodel import SQLModel

import storage.slack_install_tables
import storage.tables  # noqa: F401

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with 'preflight db upgrade'.")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
