"""The backends the storage contract runs on: the in-memory fake, SQLite, and PostgreSQL when TEST_DATABASE_URL is set.

A `Backend` holds one backend's repositories and the little the tests read beneath the ports (who a
person id is, what the scheduler's columns say), so that every assertion runs on every backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine.default import CACHE_HIT
from sqlalchemy.ext.asyncio import AsyncEngine

from conversations.ports import Place
from conversations.scoring import score
from conversations.service import Turns
from storage import Database, Repositories, database_url, open_database, sql_repositories
from storage.memory import memory_repositories
from storage.memory.tables import Tables
from storage.tables import Answer, AnswerChange, Assessment, Person
from tests.conftest import BACKENDS as SQL_BACKENDS
from tests.conftest import reset_postgres

HERE = Place(platform="slack", workspace="T1", channel="C1")
ELSEWHERE = Place(platform="slack", workspace="T2", channel="C9")


@dataclass
class Traffic:
    """What reached the database inside a block: statements, those SQLAlchemy had to compile, transactions."""

    statements: list[str] = field(default_factory=list)
    compiled: list[str] = field(default_factory=list)  # not from SQLAlchemy's compiled cache (driver SQL such as BEGIN aside)
    transactions: int = 0

    @property
    def writes(self) -> list[str]:
        return [s for s in self.statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN"))]


@dataclass
class Backend:
    name: str
    repos: Repositories
    database: Database | None = None
    url: str | None = None
    others: list[Database] = field(default_factory=list)

    @property
    def sql(self) -> bool:
        return self.database is not None

    @property
    def engine(self) -> AsyncEngine | None:
        """The async engine beside the repositories' (to look beneath them)."""
        return self.database.engine if self.database is not None else None

    @property
    def tables(self) -> Tables:
        return self.repos.assessments.tables  # type: ignore[attr-defined]

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        """The SQL statements run inside the block (none on the fake)."""
        found: list[str] = []
        if self.database is None:
            yield found
            return
        listener = lambda *args: found.append(args[2])  # noqa: E731
        event.listen(self.database.sync_engine, "before_cursor_execute", listener)
        try:
            yield found
        finally:
            event.remove(self.database.sync_engine, "before_cursor_execute", listener)

    @contextmanager
    def traffic(self) -> Iterator[Traffic]:
        """Statements and transactions inside the block (none on the fake)."""
        found = Traffic()
        if self.database is None:
            yield found
            return

        def executed(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            found.statements.append(statement)
            if context is not None and context.compiled is not None and context.cache_hit is not CACHE_HIT:
                found.compiled.append(statement)

        def began(conn: Any) -> None:
            found.transactions += 1

        event.listen(self.database.sync_engine, "before_cursor_execute", executed)
        event.listen(self.database.sync_engine, "begin", began)
        try:
            yield found
        finally:
            event.remove(self.database.sync_engine, "before_cursor_execute", executed)
            event.remove(self.database.sync_engine, "begin", began)

    async def replica(self) -> Repositories:
        """Another process on the same data, running beside this one: its own engine on SQL; the same tables on the fake."""
        if self.database is None:
            return memory_repositories(tables=self.tables)
        assert self.url is not None
        database = await open_database(self.url, migrate=False)
        self.others.append(database)
        return sql_repositories(database=database)

    async def restart(self) -> Repositories:
        """A new process on the same data: a new engine on SQL; the fake's tables outlive nothing, so it keeps them."""
        if self.database is not None:
            assert self.url is not None
            await self.database.dispose()
            self.database = await open_database(self.url)
            self.repos = sql_repositories(database=self.database)
        return self.repos

    async def close(self) -> None:
        for database in [*self.others, *([self.database] if self.database is not None else [])]:
            await database.dispose()

    # -- beneath the ports -------------------------------------------------------

    async def people(self, ids: list[int]) -> list[tuple[str, str]]:
        """(name, external id) of each person id, sorted."""
        if self.engine is None:
            return sorted((self.tables.people[i].name, self.tables.people[i].key) for i in set(ids))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(Person.name, Person.external_id).where(Person.id.in_(ids)))).all()
        return sorted((name, key) for name, key in rows)

    async def columns(self, assessment_id: int) -> SimpleNamespace:
        """What the scheduler reads of an assessment without loading it: answered, gaps, has_gaps, owner_id."""
        if self.engine is None:
            row = self.tables.assessments[assessment_id]
            card = score(row.state.values)
            return SimpleNamespace(answered=card.answered, gaps=",".join(card.gaps), has_gaps=bool(card.gaps), owner_id=row.owner_id)
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(Assessment.answered, Assessment.gaps, Assessment.has_gaps, Assessment.owner_id).where(
                        Assessment.id == assessment_id
                    )
                )
            ).one()
        return SimpleNamespace(**row._asdict())

    async def counts(self) -> tuple[int, int]:
        """How many current answers and answer changes are stored, in all."""
        if self.engine is None:
            return sum(len(r.authors) for r in self.tables.assessments.values()), len(self.tables.history)
        async with self.engine.connect() as conn:
            answers = (await conn.execute(select(func.count()).select_from(Answer))).scalar_one()
            changes = (await conn.execute(select(func.count()).select_from(AnswerChange))).scalar_one()
        return answers, changes

    async def drop_workspace_row(self, external_id: str) -> None:
        """Delete a workspace beneath the repositories: on SQL the database's cascades do the rest."""
        if self.engine is None:
            for platform in ("slack", "teams", "console"):
                self.tables.delete_workspace(platform, external_id)
            return
        async with self.engine.begin() as conn:
            await conn.execute(text("DELETE FROM workspace WHERE external_id = :id"), {"id": external_id})


@pytest.fixture(params=["memory", *SQL_BACKENDS])
async def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    if request.param == "memory":
        yield Backend(name="memory", repos=memory_repositories())
        return
    if request.param == "sqlite":
        url = database_url({"DATABASE_URL": f"sqlite:///{tmp_path / 'preflight.db'}"})
    else:
        url = database_url({"DATABASE_URL": os.environ["TEST_DATABASE_URL"]})
        await reset_postgres(url)
    database = await open_database(url)
    found = Backend(name=request.param, repos=sql_repositories(database=database), database=database, url=url)
    yield found
    await found.close()


@pytest.fixture
def repos(backend: Backend) -> Repositories:
    return backend.repos


@pytest.fixture
def turns(repos: Repositories) -> Turns:
    return Turns(assessments=repos.assessments)
