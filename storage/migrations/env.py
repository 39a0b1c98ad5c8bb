"""Alembic environment: runs on the connection Preflight hands it (see storage.engine.upgrade).

Each migration is a transaction of its own, its DDL and its alembic_version row together, so an upgrade
stopped at any moment leaves the database at one revision or the next and can simply be run again.
PostgreSQL runs DDL in transactions natively; on SQLite, storage.engine.upgrade prepares the connection
so that the driver does too, and says so with the "transactional_ddl" attribute.
"""

from alembic import context
from sqlmodel import SQLModel

import storage.slack_install_tables
import storage.tables  # noqa: F401

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with 'preflight db upgrade'.")
sqlite = connection.dialect.name == "sqlite"

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=sqlite,  # SQLite alters tables by copying them
    transactional_ddl=not sqlite or bool(config.attributes.get("transactional_ddl")),
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
