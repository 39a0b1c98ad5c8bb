"""Database.run: one transaction per call, on SQLite in the database's own thread, on PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import Connection, event, func, insert, select

from storage import Database, open_database
from storage.tables import Workspace


@pytest.fixture
async def database(db_url):
    found = await open_database(db_url)
    yield found
    await found.dispose()


def workspaces(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(Workspace)).scalar_one()


def add(conn: Connection, name: str) -> None:
    conn.execute(insert(Workspace).values(platform="slack", external_id=name, created_at=func.now()))


async def test_what_the_work_returns_is_committed(database: Database):
    await database.run(add, "T1")
    await database.run(lambda conn: add(conn, "T2"))
    assert await database.run(workspaces) == 2
    async with database.engine.connect() as conn:  # another connection sees it: it was committed
        assert (await conn.execute(select(func.count()).select_from(Workspace))).scalar_one() == 2


async def test_work_that_raises_leaves_nothing_behind(database: Database):
    def half(conn: Connection) -> None:
        add(conn, "T1")
        raise LookupError("stopped after the first write")

    with pytest.raises(LookupError):
        await database.run(half)
    assert await database.run(workspaces) == 0
    await database.run(add, "T1")  # and the database is usable afterwards
    assert await database.run(workspaces) == 1


async def test_one_transaction_per_call(database: Database):
    began: list[object] = []

    def counted(conn: object) -> None:
        began.append(conn)

    event.listen(database.sync_engine, "begin", counted)
    try:

        def three(conn: Connection) -> int:
            for name in ("T1", "T2", "T3"):
                add(conn, name)
            return workspaces(conn)

        assert await database.run(three) == 3
    finally:
        event.remove(database.sync_engine, "begin", counted)
    assert len(began) == 1


async def test_on_sqlite_the_work_runs_in_the_databases_thread_while_the_loop_goes_on(tmp_path):
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'preflight.db'}")
    seen: list[tuple[str, bool]] = []
    release = threading.Event()

    def held(conn: Connection) -> None:
        # Released by the event loop: were the work on the loop's thread, it would wait here in vain.
        seen.append((threading.current_thread().name, release.wait(5)))
        add(conn, "T1")

    try:
        running = asyncio.ensure_future(database.run(held))
        await asyncio.sleep(0.01)
        release.set()
        await running
        assert await database.run(workspaces) == 1
    finally:
        await database.dispose()
    [(thread, released)] = seen
    assert released
    assert thread.startswith("sqlite") and thread != threading.current_thread().name
