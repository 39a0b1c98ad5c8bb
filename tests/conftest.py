"""Shared fixtures; tests that reach the network fail on purpose."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from conversations.people import Person
from storage.engine import connect, database_url, make_engine

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only loopback and local sockets: a test that reaches out fails."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address and str(address[0]) not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def ana() -> Person:
    return Person(name="Ana Ruiz", id="U0ANA")


@pytest.fixture
def bo() -> Person:
    return Person(name="Bo Chen", id="U0BO")


# -- database backends: SQLite always, PostgreSQL when TEST_DATABASE_URL is set ---------

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


async def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield database_url({"DATABASE_URL": f"sqlite:///{tmp_path / 'preflight.db'}"})
    else:
        url = database_url({"DATABASE_URL": os.environ["TEST_DATABASE_URL"]})
        await reset_postgres(url)
        yield url


@pytest.fixture
async def engine(db_url):
    engine = await connect(db_url)
    yield engine
    await engine.dispose()


# -- reaching into a running Preflight from a test ----------------------------------------


def session_of(core):
    """A database session on a bootstrapped Preflight's engine, to look at what it stored."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    return AsyncSession(core.engine, expire_on_commit=False)


async def handle(core, *, assessment_id: int, event, now: datetime):
    """Apply one event to a stored assessment, as a turn would; its replies."""
    return (await core.preflight.turns.run(assessment_id=assessment_id, event=event, now=now)).replies
