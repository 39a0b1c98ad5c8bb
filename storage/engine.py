"""The async engine: which database, opening it, migrating it, and human errors when that fails."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_SQLITE = "preflight.db"
MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_SECONDS = 30  # how long a writer waits for another connection's write lock


class DatabaseError(RuntimeError):
    """The database cannot be used; the message is one line a person can act on."""


def database_url(env: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL with an async driver, or a SQLite file in the working directory."""
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{DEFAULT_SQLITE}"
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _check_sqlite_path(url: str) -> None:
    path = _sqlite_path(url)
    if path is None:
        return
    folder = path.resolve().parent
    if folder.exists() and not folder.is_dir():
        raise DatabaseError(f"Cannot create the database {path}: {folder} is a file, not a folder.")
    if not folder.is_dir():
        raise DatabaseError(f"Cannot create the database {path}: the folder {folder} does not exist.")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseError(f"Cannot open the database {path}: the file is not writable.")
    if not path.exists() and not os.access(folder, os.W_OK):
        raise DatabaseError(f"Cannot create the database {path}: the folder {folder} is not writable.")


def to_json(value: Any) -> str:
    """JSON columns: amounts of money are Decimals in the core and strings in the database (never floats)."""
    return json.dumps(value, default=_decimal_text)


def _decimal_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def sqlite_pragmas(engine: Engine) -> None:
    """Every SQLite connection of `engine`: foreign keys enforced, write-ahead log, no fsync per commit."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL keeps the database consistent; NORMAL spares an fsync per commit
        cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    kwargs.setdefault("json_serializer", to_json)
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise DatabaseError(f"DATABASE_URL is not a database URL: '{url[:80]}'.") from None
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(f"DATABASE_URL must name SQLite or PostgreSQL, not '{backend}'.")
    if backend == "sqlite":
        _check_sqlite_path(url)
        # SQLite lets one writer in at a time, and writers that collide on several connections back off
        # in sleeps of up to 100 ms. One connection makes them queue in order instead, with no sleeps.
        # (The repositories' transactions go through storage.database's own connection; this engine
        # serves migrations, the Slack SDK's stores and the health check.)
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, pool_size=1, max_overflow=0, pool_timeout=60, **kwargs
        )
        sqlite_pragmas(engine.sync_engine)
        return engine
    try:
        return create_async_engine(url, pool_pre_ping=True, connect_args={"timeout": 10}, **kwargs)
    except (ArgumentError, NoSuchModuleError) as e:
        raise DatabaseError(f"DATABASE_URL names a database I cannot use ({describe(url)}): {e}.") from None


async def connect(url: str, *, migrate: bool = True) -> AsyncEngine:
    """An engine on a database at the latest schema, or a DatabaseError saying what to do.

    A brand-new database (none of Preflight's tables yet) is migrated here on first use, unless `migrate`
    is False. Any other database must already be at the latest schema: one that is behind, half-built or
    from a newer Preflight is refused with one line, and only `preflight db upgrade` (`upgrade_database`)
    migrates it. So no command builds on a database that an interrupted upgrade left part-way.

    Two processes that start on the same new database at the same moment may both migrate it; one of
    them can then fail on a table the other has just made (the database stays consistent, and starting
    it again works). Run `preflight db upgrade` before starting replicas together.
    """
    engine = make_engine(url)
    try:
        schema = await _read(engine)
        if schema.new and migrate:
            await upgrade(engine)
        elif (refusal := schema.refusal(describe(url))) is not None:
            raise DatabaseError(refusal)
    except DatabaseError:
        await engine.dispose()
        raise
    except (SQLAlchemyError, OSError) as e:
        await engine.dispose()
        raise DatabaseError(f"Cannot use the database at {describe(url)}: {_reason(e)}") from None
    return engine


async def upgrade_database(url: str) -> str:
    """`preflight db upgrade`: migrate the database to the latest schema, whatever revision it is at; the revision reached.

    Each migration is one transaction, so an upgrade stopped at any moment leaves the database at the
    revision before or after a migration, and running this again finishes the job.
    """
    engine = make_engine(url)
    try:
        await upgrade(engine)
        schema = await _read(engine)
    except DatabaseError:
        raise
    except (SQLAlchemyError, OSError) as e:
        raise DatabaseError(f"Cannot upgrade the database at {describe(url)}: {_reason(e)}") from None
    finally:
        await engine.dispose()
    if (refusal := schema.refusal(describe(url))) is not None:
        raise DatabaseError(refusal)
    return schema.versions[0]


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply Alembic migrations, each in a transaction of its own (see `_transactional_ddl`).

    Preflight's tables with no revision recorded beside them (an upgrade by a Preflight from before
    migrations were atomic, stopped in the first one) are dropped first when they hold no rows, and
    refused when they do.
    """
    async with engine.connect() as conn:
        await conn.run_sync(_migrate, revision)


def _migrate(connection: Connection, revision: str) -> None:
    from alembic import command

    with _transactional_ddl(connection):
        schema = _inspect(connection)
        if schema.versions and not schema.known:
            raise DatabaseError(schema.refusal(_where(connection)) or "")
        if schema.half_built:
            _clear(connection, schema)
        connection.commit()
        config = _alembic_config(connection)
        config.attributes["transactional_ddl"] = True
        command.upgrade(config, revision)
        connection.commit()


@contextmanager
def _transactional_ddl(connection: Connection) -> Iterator[None]:
    """Make every statement on this connection, DDL included, run inside the transaction SQLAlchemy begins.

    PostgreSQL does that already. Python's sqlite3 driver (and aiosqlite over it), in its legacy
    transaction control (the only one before Python 3.12), emits BEGIN only before INSERT, UPDATE and
    DELETE: CREATE TABLE and the like run outside any transaction and are kept at once, so a migration
    stopped part-way would leave half of itself behind. On this connection alone the driver emits no
    BEGIN at all (isolation_level None) and SQLAlchemy's `begin` event emits BEGIN IMMEDIATE, which
    also takes the write lock before the current revision is read: the recipe of SQLAlchemy's SQLite
    documentation ("Enabling Non-Legacy SQLite Transactional Modes").

    Foreign keys are not enforced on it either, as SQLite's own procedure for altering tables asks: a
    batch migration that copies a table and drops the original would otherwise delete the rows of every
    table that references it with ON DELETE CASCADE (the DROP TABLE deletes its rows first).

    The connection is detached from the pool first, and so closed afterwards: the application's
    connections keep the driver's default behaviour and their pragmas (storage.assessments issues
    BEGIN IMMEDIATE itself on them).
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    if connection.in_transaction():
        raise RuntimeError("migrations need a connection outside any transaction")
    connection.detach()
    dbapi_connection: Any = connection.connection.dbapi_connection
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction does this take effect
    cursor.close()

    def begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(connection, "begin", begin)
    try:
        yield
    finally:
        event.remove(connection, "begin", begin)


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


# -- what a database holds of Preflight's schema ---------------------------------------------

RETIRED_TABLES = frozenset({"handled_request"})  # made by 0002, dropped by 0005
UPGRADE_HINT = "run 'preflight db upgrade'"


@dataclass(frozen=True)
class Schema:
    """Which of Preflight's tables a database has, and the revision(s) recorded in alembic_version."""

    tables: frozenset[str]
    versions: tuple[str, ...]

    @property
    def new(self) -> bool:
        return not self.tables

    @property
    def current(self) -> bool:
        return self.versions == (_revisions()[0],)

    @property
    def known(self) -> bool:
        return len(self.versions) == 1 and self.versions[0] in _revisions()

    @property
    def half_built(self) -> bool:
        return bool(self.tables) and not self.versions

    def refusal(self, where: str) -> str | None:
        """Why a command cannot use the database as it is, in one line; None when it can."""
        head = _revisions()[0]
        if self.current:
            return None
        if self.new:
            return f"The database at {where} has no tables yet: {UPGRADE_HINT}."
        if self.half_built:
            return (
                f"The database at {where} holds part of Preflight's tables but no schema revision "
                f"(an upgrade stopped part-way): {UPGRADE_HINT}."
            )
        if not self.known:
            return (
                f"The database at {where} is at schema revision {', '.join(self.versions)}, which this version of "
                f"Preflight (schema {head}) does not know: run the newer Preflight that upgraded it."
            )
        return (
            f"The database at {where} is at schema revision {self.versions[0]}, and this version of Preflight needs {head}: {UPGRADE_HINT}."
        )


@cache
def _revisions() -> tuple[str, ...]:
    """The migrations' revisions, newest (the head) first."""
    from alembic.script import ScriptDirectory

    return tuple(script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions())


@cache
def _ours() -> frozenset[str]:
    """The names of the tables Preflight's migrations make, alembic_version among them."""
    from sqlmodel import SQLModel

    import storage.slack_install_tables
    import storage.tables  # noqa: F401

    return frozenset(SQLModel.metadata.tables) | RETIRED_TABLES | {"alembic_version"}


def _inspect(connection: Connection) -> Schema:
    tables = frozenset(inspect(connection).get_table_names()) & _ours()
    versions: tuple[str, ...] = ()
    if "alembic_version" in tables:
        versions = tuple(sorted(connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()))
    return Schema(tables=tables, versions=versions)


async def _read(engine: AsyncEngine) -> Schema:
    async with engine.connect() as conn:
        return await conn.run_sync(_inspect)


def _clear(connection: Connection, schema: Schema) -> None:
    """Drop Preflight's tables from a half-built schema, provided none of them holds a row."""
    from sqlmodel import SQLModel

    quote = connection.dialect.identifier_preparer.quote
    if any(connection.exec_driver_sql(f"SELECT 1 FROM {quote(name)} LIMIT 1").first() for name in sorted(schema.tables)):
        raise DatabaseError(
            f"The database at {_where(connection)} holds part of Preflight's tables, with rows in them, but no schema revision: "
            "Preflight will not guess how to upgrade it; restore a backup, or point DATABASE_URL at a new database."
        )
    SQLModel.metadata.drop_all(connection, tables=[t for t in SQLModel.metadata.sorted_tables if t.name in schema.tables])
    for name in sorted(schema.tables - set(SQLModel.metadata.tables)):
        connection.exec_driver_sql(f"DROP TABLE {quote(name)}")


def _where(connection: Connection) -> str:
    return connection.engine.url.render_as_string(hide_password=True)


def _reason(e: BaseException) -> str:
    """The root cause, in words."""
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused (is the server running, and on that port?)."
        if isinstance(seen, socket.gaierror):
            return "the host name could not be found."
        if isinstance(seen, (TimeoutError, asyncio.TimeoutError)):
            return "the server did not answer in time."
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    original = getattr(e, "orig", None) or e
    words = str(original).strip().splitlines()
    return (words[0] if words else type(original).__name__)[:300]
