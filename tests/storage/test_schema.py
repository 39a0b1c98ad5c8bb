"""What is SQL's alone: the migrations; and every backend's methods match its port."""

import inspect

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect as inspect_db
from sqlalchemy import text
from sqlmodel import SQLModel

from conversations import ports
from storage import Database, memory, sql_repositories
from storage.assessments import SqlAssessments
from storage.engine import MIGRATIONS, upgrade
from storage.inbox import SqlInbox
from storage.reminders import ReminderStore
from storage.teams import SqlTeamsReferences
from storage.workspaces import SqlWorkspaces

IMPLEMENTATIONS = [
    (ports.Assessments, [SqlAssessments, memory.MemoryAssessments]),
    (ports.Workspaces, [SqlWorkspaces, memory.MemoryWorkspaces]),
    (ports.Inbox, [SqlInbox, memory.MemoryInbox]),
    (ports.Deliveries, [ReminderStore, memory.MemoryDeliveries]),
    (ports.TeamsReferences, [SqlTeamsReferences, memory.MemoryTeamsReferences]),
]


async def test_migrations_create_exactly_the_tables_the_code_uses(engine):
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata))
    assert diff == []


async def test_migrating_twice_is_harmless(engine):
    await upgrade(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == "0007"


async def test_the_inbox_migration_goes_down_and_up_again(engine):
    def downgrade(sync_connection):
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = sync_connection
        command.downgrade(config, "0004")

    async with engine.begin() as conn:
        await conn.run_sync(downgrade)
        tables = await conn.run_sync(lambda c: set(inspect_db(c).get_table_names()))
    assert "inbox" not in tables and "handled_request" in tables
    await upgrade(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect_db(c).get_table_names()))
    assert "inbox" in tables and "handled_request" not in tables


@pytest.mark.parametrize(("port", "classes"), IMPLEMENTATIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_backend_has_each_method_of_its_port_with_the_same_parameters(port, classes):
    methods = [name for name, value in vars(port).items() if inspect.isfunction(value) and not name.startswith("_")]
    assert methods
    for cls in classes:
        for name in methods:
            wanted = inspect.signature(getattr(port, name)).parameters
            found = inspect.signature(getattr(cls, name)).parameters
            assert [(p.name, p.kind, p.default) for p in found.values()] == [(p.name, p.kind, p.default) for p in wanted.values()], (
                cls,
                name,
            )


async def test_the_sql_repositories_are_one_per_port(engine):
    database = Database(engine)
    repos = sql_repositories(database=database)
    assert [type(r) for r in (repos.assessments, repos.workspaces, repos.inbox, repos.deliveries, repos.teams)] == [
        SqlAssessments,
        SqlWorkspaces,
        SqlInbox,
        ReminderStore,
        SqlTeamsReferences,
    ]
    await database.dispose()
