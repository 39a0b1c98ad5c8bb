"""Backends for the storage contract: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from storage.engine import connect, database_url, make_engine

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
