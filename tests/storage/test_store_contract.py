"""The contract every storage backend passes."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text
from sqlmodel import SQLModel, select

from conversations import events
from conversations.commands import read
from conversations.machine import Stage, step
from conversations.people import Person
from conversations.service import Assessments, NotFound, Place
from storage import SqlStore
from storage.engine import connect, upgrade
from storage.tables import Answer, AnswerChange, Assessment
from storage.tables import Person as PersonRow

HERE = Place(platform="slack", workspace="T1", channel="C1")
ELSEWHERE = Place(platform="slack", workspace="T2", channel="C9")
LINES = [
    "1", "1", "Cut churn; 6%; 4%; 2099-06-30", "1; Priya", "Dana; 120000 EUR; 20%", "all", "1", "1",
]


@pytest.fixture
def store(engine):
    return SqlStore(engine=engine)


@pytest.fixture
def service(store):
    return Assessments(store=store)


async def started(service, now, who, place=HERE, project="Churn model", sponsor=None):
    assessment_id = (await service.start(place=place, project=project, by=who, now=now, sponsor=sponsor)).id
    assert assessment_id is not None
    return assessment_id


async def test_a_start_returns_the_state_it_stored(service, store, now, ana):
    """The first card is drawn from the returned state, without reading it back."""
    begun = await service.start(place=HERE, project="Churn model", by=ana, now=now, sponsor=Person(name="sam", id="U9"))
    loaded = await store.load(assessment_id=begun.id)
    assert begun.state is not None and loaded is not None
    assert replace(begun.state, started_at=loaded.state.started_at) == loaded.state
    assert begun.state.started_at == loaded.state.started_at.replace(tzinfo=begun.state.started_at.tzinfo)


async def say(service, assessment_id, text, now, who):
    return await service.handle(assessment_id=assessment_id, event=read(text, by=who), now=now)


async def test_migrations_create_exactly_the_tables_the_code_uses(engine):
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), SQLModel.metadata))
    assert diff == []


async def test_migrating_twice_is_harmless(engine):
    await upgrade(engine)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == "0004"


async def test_a_started_assessment_loads_as_it_was_saved(service, store, now, ana):
    sam = Person(name="Sam Ortiz", id="U0SAM")
    assessment_id = await started(service, now, ana, sponsor=sam)
    loaded = await store.load(assessment_id=assessment_id)
    assert loaded.state.project == "Churn model" and loaded.state.sponsor == sam
    assert loaded.state.started_by == ana and loaded.state.started_at == now
    assert loaded.state.stage is Stage.ASKING and loaded.state.cursor == 0 and loaded.version == 1
    assert loaded.place == HERE


async def test_a_paused_assessment_resumes_exactly_where_it_stopped(db_url, now, ana):
    first = await connect(db_url)
    service = Assessments(store=SqlStore(engine=first))
    assessment_id = await started(service, now, ana)
    for line in LINES[:2] + ["skip", "1; Priya", "Dana; 5 EUR; none", "edit 3"]:
        await say(service, assessment_id, line, now, ana)
    await say(service, assessment_id, "Cut churn; 6%; 4%; 2020-01-01", now, ana)  # waits for yes/no
    paused = await service.store.load(assessment_id=assessment_id)
    assert paused.state.skipped == {"roi"} and paused.state.pending is not None
    await first.dispose()

    second = await connect(db_url)  # a restart
    service = Assessments(store=SqlStore(engine=second))
    replies = await service.handle(assessment_id=assessment_id, event=events.Resume(by=ana), now=now)
    assert "in the past" in replies[1].title
    replies = await say(service, assessment_id, "yes", now, ana)
    loaded = await service.store.load(assessment_id=assessment_id)
    assert loaded.state.answers["roi"].values["by_when"] == "2020-01-01"
    assert loaded.state.skipped == frozenset() and loaded.state.pending is None
    assert loaded.state.current.key == "monitoring"
    await second.dispose()


async def test_every_change_is_in_the_history_with_who_when_old_and_new(service, store, now, ana, bo):
    assessment_id = await started(service, now, ana)
    await say(service, assessment_id, "2; notes", now, ana)
    later = now + timedelta(hours=1)
    await say(service, assessment_id, "edit 1", later, bo)
    await say(service, assessment_id, "1", later, bo)
    changes = await store.history(assessment_id=assessment_id)
    assert [(c.question, c.old_value, c.new_value, c.changed_at) for c in changes] == [
        ("data", None, {"choice": "partly", "notes": "notes"}, now),
        ("data", {"choice": "partly", "notes": "notes"}, {"choice": "ready", "notes": None}, later),
    ]
    async with store.session() as session:
        names = (await session.exec(select(PersonRow.name).where(PersonRow.id.in_([c.changed_by_id for c in changes])))).all()
    assert sorted(names) == ["Ana Ruiz", "Bo Chen"]
    loaded = await store.load(assessment_id=assessment_id)
    assert loaded.state.answers["data"].by == bo and loaded.state.answers["data"].at == later


async def test_a_stale_version_writes_nothing(service, store, now, ana):
    assessment_id = await started(service, now, ana)
    stale = await store.load(assessment_id=assessment_id)
    await say(service, assessment_id, "1", now, ana)
    changed = step(stale.state, read("3", by=ana), now).state
    assert await store.save(loaded=stale, state=changed, now=now) is False
    current = await store.load(assessment_id=assessment_id)
    assert current.state.answers["data"].values["choice"] == "ready" and current.version == 2
    assert len(await store.history(assessment_id=assessment_id)) == 1


async def test_simultaneous_answers_to_the_same_question_lose_nothing(service, store, now, ana):
    assessment_id = await started(service, now, ana)
    people = [Person(name=f"P{i}", id=f"U{i}") for i in range(6)]
    choices = ["1", "2", "3", "1", "2", "3"]
    await asyncio.gather(
        *[
            service.handle(assessment_id=assessment_id, event=events.Submit(question="data", values={"choice": c}, by=p), now=now)
            for c, p in zip(choices, people)
        ]
    )
    loaded = await store.load(assessment_id=assessment_id)
    history = await store.history(assessment_id=assessment_id)
    assert len(history) == 6  # every answer recorded, in some order
    assert loaded.version == 7  # one write each, none lost, none doubled
    assert history[-1].new_value == dict(loaded.state.answers["data"].values)
    for earlier, later in zip(history, history[1:]):
        assert later.old_value == earlier.new_value  # a chain: each change saw the one before


async def test_simultaneous_typed_answers_each_take_one_step(service, store, now, ana, bo):
    assessment_id = await started(service, now, ana)
    await asyncio.gather(*[say(service, assessment_id, line, now, who) for line, who in ((("1", ana), ("2", bo)))])
    loaded = await store.load(assessment_id=assessment_id)
    assert set(loaded.state.answers) == {"data", "process"}
    assert loaded.state.current.key == "roi"


async def test_a_workspace_never_loads_another_workspaces_assessment(service, store, now, ana):
    mine = await started(service, now, ana)
    theirs = await started(service, now, ana, place=ELSEWHERE, project="Fraud model")
    assert (await store.load(assessment_id=theirs, workspace="T1")) is None
    assert (await store.load(assessment_id=mine, workspace="T1")).state.project == "Churn model"
    with pytest.raises(NotFound):
        await service.handle(assessment_id=theirs, event=events.Skip(by=ana), now=now, workspace="T1")
    untouched = await store.load(assessment_id=theirs)
    assert untouched.version == 1 and not untouched.state.skipped


async def test_listing_is_per_workspace_newest_first(service, store, now, ana):
    first = await started(service, now, ana, project="Churn model")
    second = await started(service, now + timedelta(minutes=1), ana, project="Fraud model")
    await started(service, now, ana, place=ELSEWHERE, project="Not mine")
    for line in LINES:
        await say(service, first, line, now + timedelta(minutes=2), ana)
    await say(service, first, "finish", now + timedelta(minutes=2), ana)
    listed = await store.listing(platform="slack", workspace="T1")
    assert [(i.id, i.project, i.stage, i.answered, i.percent, i.gaps) for i in listed] == [
        (first, "Churn model", Stage.FINISHED, 8, 100, ()),
        (second, "Fraud model", Stage.ASKING, 0, 0, ("owner", "budget", "roi")),
    ]
    unfinished = await store.listing(platform="slack", workspace="T1", unfinished_only=True)
    assert [i.project for i in unfinished] == ["Fraud model"]
    assert str(unfinished[0]) == "Fraud model (question 1 of 8, 0 of 8 answered, 0%)"


async def test_scores_and_gaps_are_kept_on_the_assessment_for_the_scheduler(service, store, now, ana):
    assessment_id = await started(service, now, ana)
    for line in LINES[:4] + ["none; not allocated; none"]:
        await say(service, assessment_id, line, now, ana)
    async with store.session() as session:
        row = (await session.exec(select(Assessment).where(Assessment.id == assessment_id))).one()
    assert (row.answered, row.gaps, row.has_gaps, row.owner_id) == (5, "owner,budget", True, None)
    await service.handle(assessment_id=assessment_id, event=events.SetOwner(person=Person("Dana"), by=ana), now=now)
    async with store.session() as session:
        row = (await session.exec(select(Assessment).where(Assessment.id == assessment_id))).one()
        owner = (await session.exec(select(PersonRow).where(PersonRow.id == row.owner_id))).one()
    assert row.gaps == "budget" and owner.name == "Dana" and owner.external_id == "name:dana"


async def test_load_all_reads_everything_in_a_few_statements(service, store, engine, now, ana):
    ids = [await started(service, now, ana, project=f"Project {i}") for i in range(12)]
    for assessment_id in ids:
        await say(service, assessment_id, "1", now, ana)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        loaded = await store.load_all()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    assert [item.id for item in loaded] == ids
    assert all(item.state.answers["data"].values["choice"] == "ready" for item in loaded)
    assert len(statements) == 3


async def test_a_turn_is_a_handful_of_statements(service, store, engine, now, ana):
    assessment_id = await started(service, now, ana)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        await say(service, assessment_id, "2; notes", now, ana)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    writes = [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "PRAGMA"))]
    assert len(statements) <= 10, statements
    assert len(writes) <= 5, writes


async def test_deleting_a_workspace_removes_its_assessments_and_answers(service, store, now, ana):
    mine = await started(service, now, ana)
    theirs = await started(service, now, ana, place=ELSEWHERE)
    for assessment_id in (mine, theirs):
        await say(service, assessment_id, "1", now, ana)
    async with store.session() as session:
        await session.exec(text("DELETE FROM workspace WHERE external_id = 'T2'"))
        await session.commit()
    assert await store.load(assessment_id=theirs) is None
    assert (await store.load(assessment_id=mine)).state.answers
    assert await store.count(Answer) == 1 and await store.count(AnswerChange) == 1
