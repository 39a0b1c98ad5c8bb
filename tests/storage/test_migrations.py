"""Upgrades stopped at any moment, and databases that are not at the latest schema, through the real command.

`preflight db upgrade` is killed (SIGKILL, from a hook in upgrade_killed.py) inside and between
migrations; each migration is one transaction, so the database is found at the revision before or
after one, and running the command again finishes the job. A database that is behind or half-built is
refused by every other command with one line saying to run `preflight db upgrade`; a brand-new one
is still migrated on first use. SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import DatabaseError, connect, database_url, make_engine, upgrade, upgrade_database
from tests.conftest import BACKENDS, reset_postgres
from tests.loopback import environment, free_port, until_healthy

BIN = Path(sys.executable).parent
PREFLIGHT = BIN / "preflight"
KILLED = Path(__file__).with_name("upgrade_killed.py")
ROOT = Path(__file__).parents[2]
REVISIONS = ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]
HEAD = REVISIONS[-1]
HINT = "run 'preflight db upgrade'"


@dataclass
class Done:
    code: int
    out: str
    err: str


async def run(*command: str | Path, url: str, extra: dict[str, str] | None = None, timeout: float = 60) -> Done:
    process = await asyncio.create_subprocess_exec(
        *map(str, command),
        cwd=ROOT,
        env=environment(DATABASE_URL=url, **(extra or {})),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Done(process.returncode, out.decode(), err.decode())


# -- databases: one per case, so that the cases of a backend run side by side ------------------


@asynccontextmanager
async def databases(backend: str, tmp_path: Path, count: int) -> AsyncIterator[list[str]]:
    """`count` new, empty databases (plain URLs, as DATABASE_URL would be set)."""
    if backend == "sqlite":
        yield [f"sqlite:///{tmp_path / f'case{n}.db'}" for n in range(count)]
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    names = [f"{base.database}_migrations_{n}" for n in range(count)]
    admin = make_engine(database_url({"DATABASE_URL": os.environ["TEST_DATABASE_URL"]}), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        async with admin.connect() as conn:
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the database as it is: no migration, no checks."""
    engine = make_engine(database_url({"DATABASE_URL": url}))
    try:
        yield engine
    finally:
        await engine.dispose()


async def schema(url: str) -> tuple[str | None, set[str]]:
    """The revision recorded in the database, and its tables."""
    async with opened(url) as engine, engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar() if "alembic_version" in tables else None
    return version, tables


@pytest.fixture(scope="module")
def tables_at(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, set[str]]:
    """The tables of each revision, from migrating a scratch SQLite database one step at a time."""

    async def steps() -> dict[str | None, set[str]]:
        found: dict[str | None, set[str]] = {None: set()}
        async with opened(f"sqlite:///{tmp_path_factory.mktemp('steps') / 'steps.db'}") as engine:
            for revision in REVISIONS:
                await upgrade(engine, revision)
                async with engine.connect() as conn:
                    found[revision] = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        return found

    return asyncio.run(steps())


# -- where to kill: read off the statements and commits of a whole upgrade ---------------------


async def upgrade_traffic(url: str) -> list[tuple[str, str]]:
    """("statement", sql) and ("commit", "") in the order a whole `preflight db upgrade` sends them."""
    seen: list[tuple[str, str]] = []

    def statement(conn, cursor, sql, *_):
        seen.append(("statement", " ".join(sql.split())))

    def commit(conn):
        seen.append(("commit", ""))

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    try:
        assert await upgrade_database(database_url({"DATABASE_URL": url})) == HEAD
    finally:
        event.remove(Engine, "before_cursor_execute", statement)
        event.remove(Engine, "commit", commit)
    return seen


def kill_before(traffic: list[tuple[str, str]], index: int) -> str:
    """KILL_AT for the process to die just before traffic[index] is sent."""
    kind = traffic[index][0]
    return f"{kind}:{sum(1 for k, _ in traffic[: index + 1] if k == kind)}"


def first(traffic: list[tuple[str, str]], found: Callable[[str, str], bool], after: int = -1) -> int:
    return next(i for i, (kind, sql) in enumerate(traffic) if i > after and found(kind, sql))


def kill_points(traffic: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """(what, KILL_AT, the revision the database must be left at)."""
    workspace = first(traffic, lambda k, s: s.startswith("CREATE TABLE workspace"))
    stamped = first(traffic, lambda k, s: s.startswith("INSERT INTO alembic_version"))
    committed = first(traffic, lambda k, s: k == "commit", after=stamped)
    last = max(i for i, (kind, sql) in enumerate(traffic) if sql.startswith(f"UPDATE alembic_version SET version_num='{HEAD}'"))
    between = ("between 0001 and 0002, just after the commit", kill_before(traffic, committed + 1), "0001")
    points = [
        ("0001 begun: its first table made", kill_before(traffic, workspace + 1), None),
        ("0001 done and its revision written, not yet committed", kill_before(traffic, committed), None),
        between,
        (
            f"{HEAD} done and its revision written, not yet committed",
            kill_before(traffic, first(traffic, lambda k, s: k == "commit", after=last)),
            REVISIONS[-2],
        ),
    ]
    copied = [i for i, (_, sql) in enumerate(traffic) if sql == "DROP TABLE assessment"]
    if copied:
        # SQLite: 0003 adds columns to the assessment table by copying it; killed between the copy and the drop.
        points.insert(2, ("0003: assessment copied, the original not yet dropped", kill_before(traffic, copied[0]), "0002"))
    else:
        points.remove(between)  # PostgreSQL, whose DDL has always been transactional: fewer processes to start
    return points


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_upgrade_killed_anywhere_is_finished_by_running_it_again(backend, tmp_path, tables_at):
    async with databases(backend, tmp_path, 6) as urls:
        traffic = await upgrade_traffic(urls[0])
        points = kill_points(traffic)
        assert len(points) <= len(urls) - 1

        async def case(url: str, what: str, kill_at: str, left_at: str | None) -> None:
            killed = await run(sys.executable, KILLED, url=url, extra={"KILL_AT": kill_at})
            assert killed.code == -signal.SIGKILL, (what, killed)
            assert await schema(url) == (left_at, tables_at[left_at]), what

            again = await run(PREFLIGHT, "db", "upgrade", url=url)
            assert again.code == 0 and f"up to date (schema revision {HEAD})" in again.out, (what, again)
            assert await schema(url) == (HEAD, tables_at[HEAD]), what
            exported = await run(PREFLIGHT, "export", url=url)
            assert exported.code == 0 and json.loads(exported.out) == [], (what, exported)

        await asyncio.gather(*(case(url, *point) for url, point in zip(urls[1:], points, strict=False)))


# -- databases not at the latest schema ---------------------------------------------------------


async def execute(url: str, *statements: str) -> None:
    async with opened(url) as engine, engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


@pytest.mark.parametrize("backend", BACKENDS)
async def test_serve_refuses_a_half_built_database_in_one_line_and_db_upgrade_repairs_it(backend, tmp_path):
    async with databases(backend, tmp_path, 1) as (url,):
        await execute(url, "CREATE TABLE workspace (id INTEGER PRIMARY KEY)")  # a table, and no alembic_version
        port = free_port()
        refused = await run(PREFLIGHT, "serve", "--port", str(port), "--no-scheduler", url=url, timeout=30)
        assert refused.code == 1
        assert refused.err.count("\n") == 1 and refused.err.startswith("preflight: The database at ")
        assert "holds part of Preflight's tables but no schema revision" in refused.err and HINT in refused.err
        assert (await schema(url)) == (None, {"workspace"})  # untouched

        repaired = await run(PREFLIGHT, "db", "upgrade", url=url)
        assert repaired.code == 0, repaired
        server = await asyncio.create_subprocess_exec(
            str(PREFLIGHT),
            "serve",
            "--port",
            str(port),
            "--no-scheduler",
            cwd=ROOT,
            env=environment(DATABASE_URL=url),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await until_healthy(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            await server.wait()


@pytest.fixture(params=BACKENDS)
async def url(request, tmp_path):
    """A plain URL to an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'preflight.db'}"
    else:
        await reset_postgres(database_url({"DATABASE_URL": os.environ["TEST_DATABASE_URL"]}))
        yield os.environ["TEST_DATABASE_URL"]


async def refusal(url: str, *, migrate: bool = True) -> str:
    with pytest.raises(DatabaseError) as refused:
        engine = await connect(database_url({"DATABASE_URL": url}), migrate=migrate)
        await engine.dispose()
    assert "\n" not in str(refused.value)
    return str(refused.value)


async def at(url: str, revision: str) -> None:
    async with opened(url) as engine:
        await upgrade(engine, revision)


async def test_a_database_behind_is_refused_until_db_upgrade(url):
    await at(url, "0003")
    assert refusal_text(await refusal(url)) == f"is at schema revision 0003, and this version of Preflight needs {HEAD}: {HINT}."
    assert await upgrade_database(database_url({"DATABASE_URL": url})) == HEAD
    engine = await connect(database_url({"DATABASE_URL": url}))
    await engine.dispose()


def refusal_text(message: str) -> str:
    assert message.startswith("The database at ")
    return message.split(" ", 4)[-1]


async def test_a_database_from_a_newer_preflight_is_refused_and_not_touched(url):
    await at(url, HEAD)
    await execute(url, "UPDATE alembic_version SET version_num = '0099'")
    assert f"is at schema revision 0099, which this version of Preflight (schema {HEAD}) does not know" in await refusal(url)
    with pytest.raises(DatabaseError, match="0099, which this version"):
        await upgrade_database(database_url({"DATABASE_URL": url}))
    assert (await schema(url))[0] == "0099"


async def test_a_half_built_database_with_rows_is_not_dropped(url):
    # What an upgrade by an older Preflight, killed in the first migration, left behind; and then a row.
    await execute(
        url, "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)", "CREATE TABLE workspace (id INTEGER PRIMARY KEY)"
    )
    assert HINT in await refusal(url)
    await execute(url, "INSERT INTO workspace (id) VALUES (1)")
    with pytest.raises(DatabaseError, match="with rows in them, but no schema revision: Preflight will not guess"):
        await upgrade_database(database_url({"DATABASE_URL": url}))
    assert await schema(url) == (None, {"alembic_version", "workspace"})


async def test_a_new_database_is_migrated_on_first_use_but_not_when_told_not_to(url):
    assert refusal_text(await refusal(url, migrate=False)) == f"has no tables yet: {HINT}."
    engine = await connect(database_url({"DATABASE_URL": url}))
    await engine.dispose()
    assert (await schema(url))[0] == HEAD


async def test_tables_of_other_applications_do_not_make_a_database_half_built(url):
    await execute(url, "CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)")
    engine = await connect(database_url({"DATABASE_URL": url}))
    await engine.dispose()
    version, tables = await schema(url)
    assert version == HEAD and "someone_elses" in tables and "inbox" in tables


async def test_upgrading_keeps_the_rows_of_tables_that_reference_a_copied_one(url):
    # On SQLite, 0003 copies the assessment table and drops the original; with foreign keys enforced,
    # that DROP would delete every answer (ON DELETE CASCADE) before the copy took its place.
    await at(url, "0002")
    stamp = "'2026-11-23T10:00:00+00:00'"
    await execute(
        url,
        f"INSERT INTO workspace (id, platform, external_id, created_at) VALUES (1, 'slack', 'T1', {stamp})",
        f"INSERT INTO person (id, workspace_id, external_id, name, updated_at) VALUES (1, 1, 'U1', 'Ana', {stamp})",
        "INSERT INTO assessment (id, workspace_id, platform, channel, project, started_by_id, stage, cursor, skipped, version,"
        " answered, total, level, gaps, has_gaps, created_at, updated_at)"
        f" VALUES (1, 1, 'slack', 'C1', 'Churn', 1, 'asking', 1, '[]', 1, 1, 1.0, 'Not ready', '', false, {stamp}, {stamp})",
        f"INSERT INTO answer (id, assessment_id, question, value, score, answered_by_id, answered_at) VALUES (1, 1, 'data', '2', 1.0, 1, {stamp})",
        "INSERT INTO answer_change (id, assessment_id, question, new_value, changed_by_id, changed_at)"
        f" VALUES (1, 1, 'data', '2', 1, {stamp})",
    )
    assert await upgrade_database(database_url({"DATABASE_URL": url})) == HEAD
    async with opened(url) as engine, engine.connect() as conn:
        counts = [(await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar() for t in ("assessment", "answer", "answer_change")]
    assert counts == [1, 1, 1]


async def test_the_application_connections_keep_the_drivers_own_transactions_after_a_first_use_migration(tmp_path):
    engine = await connect(database_url({"DATABASE_URL": f"sqlite:///{tmp_path / 'preflight.db'}"}))
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert raw.dbapi_connection.isolation_level == ""  # sqlite3's default: it emits BEGIN before writes
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        async with engine.begin() as conn:  # what storage.assessments does on SQLite
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await conn.execute(text("INSERT INTO workspace (platform, external_id, created_at) VALUES ('slack', 'T1', '2026-11-23')"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM workspace"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_the_backoff_migration_keeps_a_chosen_zone_and_the_gaps_last_reminded(url):
    # Before 0006 nothing said where a zone came from: one that is not UTC was chosen by an admin.
    await at(url, "0005")
    stamp = "'2026-11-23T10:00:00+00:00'"
    await execute(
        url,
        f"INSERT INTO workspace (id, platform, external_id, created_at, tz) VALUES (1, 'slack', 'T1', {stamp}, 'Europe/Berlin')",
        f"INSERT INTO workspace (id, platform, external_id, created_at) VALUES (2, 'slack', 'T2', {stamp})",
        f"INSERT INTO person (id, workspace_id, external_id, name, updated_at) VALUES (1, 1, 'U1', 'Ana', {stamp})",
        "INSERT INTO assessment (id, workspace_id, platform, channel, project, started_by_id, stage, cursor, skipped, version,"
        " answered, total, level, gaps, has_gaps, created_at, updated_at, last_reminded_at, reminders_since_change)"
        f" VALUES (1, 1, 'slack', 'C1', 'Churn', 1, 'finished', 8, '[]', 1, 8, 7.0, 'Ready', 'owner,roi', true, {stamp}, {stamp},"
        f" {stamp}, 2)",
    )
    assert await upgrade_database(database_url({"DATABASE_URL": url})) == HEAD
    async with opened(url) as engine, engine.connect() as conn:
        zones = (await conn.execute(text("SELECT external_id, tz, tz_source, stop_after FROM workspace ORDER BY id"))).all()
        reminded = (await conn.execute(text("SELECT reminded_gaps FROM assessment"))).scalar()
    assert [tuple(z) for z in zones] == [("T1", "Europe/Berlin", "settings", 6), ("T2", "UTC", None, 6)]
    assert reminded == "owner,roi"
