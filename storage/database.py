"""Where the repositories' transactions run: on SQLite in a thread of their own, on PostgreSQL through asyncpg.

A repository writes each unit of work as a plain function of a SQLAlchemy `Connection` and hands it
to `Database.run`, which runs it in one transaction: committed when it returns, rolled back when it
raises.

- On SQLite the function runs whole in the database's own thread, on a synchronous connection:
  one hand-over between threads per transaction. (Through aiosqlite every statement, and every
  fetch of its rows, is a hand-over of its own; a turn of eight statements cost three to five
  times the CPU that way.) One thread and one connection also make writers queue in order,
  which is what SQLite wants: it lets one writer in at a time.
- On PostgreSQL it runs through `AsyncConnection.run_sync`: the same function, its statements
  awaited on asyncpg.

So the work, and whatever it calls inside the transaction (a turn's step of the state machine,
say), must be plain synchronous code that does not touch the event loop.

The async engine stays beside it for what needs one: migrations, the Slack SDK's OAuth state store,
the health check and tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import SQLITE_BUSY_SECONDS, connect, sqlite_pragmas, to_json

T = TypeVar("T")


class Database:
    """One database: `run` for the repositories' transactions, `engine` for the rest."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._local: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._conn: Connection | None = None
        if engine.dialect.name == "sqlite":
            url = engine.url.set(drivername="sqlite")
            # One connection, used only from the one thread (so the driver's same-thread check can go).
            self._local = create_engine(
                url,
                connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
                pool_size=1,
                max_overflow=0,
                json_serializer=to_json,
            )
            sqlite_pragmas(self._local)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def sync_engine(self) -> Engine:
        """The engine the repositories' statements go through (for SQLAlchemy's events)."""
        return self._local if self._local is not None else self.engine.sync_engine

    async def run(self, work: Callable[..., T], /, *args: Any) -> T:
        """`work(connection, *args)` in one transaction; its result, or its exception after a rollback."""
        if self._local is not None:
            return await asyncio.get_running_loop().run_in_executor(self._thread, self._in_thread, work, args)
        async with self.engine.begin() as conn:
            return await conn.run_sync(work, *args)

    def _in_thread(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._conn is None or self._conn.invalidated:  # the thread's one connection, kept (no pool round trip per call)
            assert self._local is not None
            self._conn = self._local.connect()
        with self._conn.begin():
            return work(self._conn, *args)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._local is not None:
            self._local.dispose()

    async def dispose(self) -> None:
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
            self._thread.shutdown(wait=True)
        await self.engine.dispose()


async def open_database(url: str, *, migrate: bool = True) -> Database:
    """`storage.engine.connect`, as a Database."""
    return Database(await connect(url, migrate=migrate))


def begin_immediate(conn: Connection) -> None:
    """On SQLite, take the write lock now, before the transaction's first read (nothing elsewhere)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
