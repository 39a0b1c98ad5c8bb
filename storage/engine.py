"""The async engine: which database, opening it, migrating it, and human errors when that fails."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_SQLITE = "preflight.db"
MIGRATIONS = Path(__file__).parent / "migrations"


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


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
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
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL keeps the database consistent; NORMAL spares an fsync per commit
            cursor.close()

        return engine
    try:
        return create_async_engine(url, pool_pre_ping=True, connect_args={"timeout": 10}, **kwargs)
    except (ArgumentError, NoSuchModuleError) as e:
        raise DatabaseError(f"DATABASE_URL names a database I cannot use ({describe(url)}): {e}.") from None


async def connect(url: str, *, migrate: bool = True) -> AsyncEngine:
    """An engine that has been reached and, unless told otherwise, migrated to the latest schema."""
    engine = make_engine(url)
    try:
        if migrate:
            await upgrade(engine)
        else:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except DatabaseError:
        await engine.dispose()
        raise
    except (SQLAlchemyError, OSError) as e:
        await engine.dispose()
        raise DatabaseError(f"Cannot use the database at {describe(url)}: {_reason(e)}") from None
    return engine


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply Alembic migrations on the engine's own connection."""
    from alembic import command
    from alembic.config import Config

    def run(sync_connection: Any) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = sync_connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


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
