"""The Assessments contract, on every backend: what is saved loads back, versions guard writers, requests apply once."""

import asyncio
import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from conversations import events
from conversations.commands import read
from conversations.machine import Stage, step
from conversations.people import Person
from conversations.ports import AlreadyApplied, Incoming
from conversations.service import NotFound, Turns
from tests.storage.conftest import ELSEWHERE, HERE

LINES = [
    "1",
    "1",
    "Cut churn; 6%; 4%; 2099-06-30",
    "1; Priya",
    "Dana; 120000 EUR; 20%",
    "all",
    "1",
    "1",
]
LEASE = timedelta(minutes=5)


async def started(turns, now, who, place=HERE, project="Churn model", sponsor=None):
    assessment_id = (await turns.start(place=place, project=project, by=who, now=now, sponsor=sponsor)).id
    assert assessment_id is not None
    return assessment_id


async def say(turns, assessment_id, text, now, who, **kwargs):
    return (await turns.run(assessment_id=assessment_id, event=read(text, by=who), now=now, **kwargs)).replies


async def request(repos, now, key="evt:1"):
    claimed = await repos.inbox.put(item=Incoming(key=key, platform="slack", workspace="T1", payload={}), now=now, owner="w1", lease=LEASE)
    assert claimed is not None
    return claimed.id


async def test_a_start_returns_the_state_it_stored(turns, repos, now, ana):
    """The first card is drawn from the returned state, without reading it back."""
    begun = await turns.start(place=HERE, project="Churn model", by=ana, now=now, sponsor=Person(name="sam", id="U9"))
    loaded = await repos.assessments.load(assessment_id=begun.id)
    assert begun.state is not None and loaded is not None
    assert replace(begun.state, started_at=loaded.state.started_at) == loaded.state
    assert begun.state.started_at == loaded.state.started_at.replace(tzinfo=begun.state.started_at.tzinfo)


async def test_a_started_assessment_loads_as_it_was_saved(turns, repos, now, ana):
    sam = Person(name="Sam Ortiz", id="U0SAM")
    assessment_id = await started(turns, now, ana, sponsor=sam)
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert loaded.state.project == "Churn model" and loaded.state.sponsor == sam
    assert loaded.state.started_by == ana and loaded.state.started_at == now
    assert loaded.state.stage is Stage.ASKING and loaded.state.cursor == 0 and loaded.version == 1
    assert loaded.place == HERE


async def test_a_paused_assessment_resumes_exactly_where_it_stopped(backend, now, ana):
    turns = Turns(assessments=backend.repos.assessments)
    assessment_id = await started(turns, now, ana)
    for line in [*LINES[:2], "skip", "1; Priya", "Dana; 5 EUR; none", "edit 3"]:
        await say(turns, assessment_id, line, now, ana)
    await say(turns, assessment_id, "Cut churn; 6%; 4%; 2020-01-01", now, ana)  # waits for yes/no
    paused = await backend.repos.assessments.load(assessment_id=assessment_id)
    assert paused.state.skipped == {"roi"} and paused.state.pending is not None

    turns = Turns(assessments=(await backend.restart()).assessments)
    replies = (await turns.run(assessment_id=assessment_id, event=events.Resume(by=ana), now=now)).replies
    assert "in the past" in replies[1].title
    await say(turns, assessment_id, "yes", now, ana)
    loaded = await backend.repos.assessments.load(assessment_id=assessment_id)
    assert loaded.state.answers["roi"].values["by_when"] == "2020-01-01"
    assert loaded.state.skipped == frozenset() and loaded.state.pending is None
    assert loaded.state.current.key == "monitoring"


async def test_every_change_is_in_the_history_with_who_when_old_and_new(turns, repos, backend, now, ana, bo):
    assessment_id = await started(turns, now, ana)
    await say(turns, assessment_id, "2; notes", now, ana)
    later = now + timedelta(hours=1)
    await say(turns, assessment_id, "edit 1", later, bo)
    await say(turns, assessment_id, "1", later, bo)
    changes = await repos.assessments.history(assessment_id=assessment_id)
    assert [(c.question, c.old_value, c.new_value, c.changed_at) for c in changes] == [
        ("data", None, {"choice": "partly", "notes": "notes"}, now),
        ("data", {"choice": "partly", "notes": "notes"}, {"choice": "ready", "notes": None}, later),
    ]
    assert [c.by for c in changes] == [ana, bo]
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert loaded.state.answers["data"].by == bo and loaded.state.answers["data"].at == later


async def test_simultaneous_answers_to_the_same_question_lose_nothing(turns, repos, now, ana):
    assessment_id = await started(turns, now, ana)
    people = [Person(name=f"P{i}", id=f"U{i}") for i in range(6)]
    choices = ["1", "2", "3", "1", "2", "3"]
    await asyncio.gather(
        *[
            turns.run(assessment_id=assessment_id, event=events.Submit(question="data", values={"choice": c}, by=p), now=now)
            for c, p in zip(choices, people, strict=False)
        ]
    )
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    history = await repos.assessments.history(assessment_id=assessment_id)
    assert len(history) == 6  # every answer recorded, in some order
    assert loaded.version == 7  # one write each, none lost, none doubled
    assert history[-1].new_value == dict(loaded.state.answers["data"].values)
    for earlier, later in itertools.pairwise(history):
        assert later.old_value == earlier.new_value  # a chain: each change saw the one before


async def test_simultaneous_typed_answers_each_take_one_step(turns, repos, now, ana, bo):
    assessment_id = await started(turns, now, ana)
    await asyncio.gather(*[say(turns, assessment_id, line, now, who) for line, who in (("1", ana), ("2", bo))])
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert set(loaded.state.answers) == {"data", "process"}
    assert loaded.state.current.key == "roi"


async def test_a_workspace_never_loads_another_workspaces_assessment(turns, repos, now, ana):
    mine = await started(turns, now, ana)
    theirs = await started(turns, now, ana, place=ELSEWHERE, project="Fraud model")
    assert (await repos.assessments.load(assessment_id=theirs, workspace="T1")) is None
    assert (await repos.assessments.load(assessment_id=mine, workspace="T1")).state.project == "Churn model"
    with pytest.raises(NotFound):
        await turns.run(assessment_id=theirs, event=events.Skip(by=ana), now=now, workspace="T1")
    untouched = await repos.assessments.load(assessment_id=theirs)
    assert untouched.version == 1 and not untouched.state.skipped


async def test_listing_is_per_workspace_newest_first(turns, repos, now, ana):
    first = await started(turns, now, ana, project="Churn model")
    second = await started(turns, now + timedelta(minutes=1), ana, project="Fraud model")
    await started(turns, now, ana, place=ELSEWHERE, project="Not mine")
    for line in LINES:
        await say(turns, first, line, now + timedelta(minutes=2), ana)
    await say(turns, first, "finish", now + timedelta(minutes=2), ana)
    listed = await repos.assessments.listing(platform="slack", workspace="T1")
    assert [(i.id, i.project, i.stage, i.answered, i.percent, i.gaps) for i in listed] == [
        (first, "Churn model", Stage.FINISHED, 8, 100, ()),
        (second, "Fraud model", Stage.ASKING, 0, 0, ("owner", "budget", "roi")),
    ]
    unfinished = await repos.assessments.listing(platform="slack", workspace="T1", unfinished_only=True)
    assert [i.project for i in unfinished] == ["Fraud model"]
    assert str(unfinished[0]) == "Fraud model (question 1 of 8, 0 of 8 answered, 0% ready)"
    assert await repos.assessments.listing(platform="teams", workspace="T1") == []


async def test_scores_and_gaps_are_kept_on_the_assessment_for_the_scheduler(turns, backend, now, ana):
    assessment_id = await started(turns, now, ana)
    for line in [*LINES[:4], "none; not allocated; none"]:
        await say(turns, assessment_id, line, now, ana)
    row = await backend.columns(assessment_id)
    assert (row.answered, row.gaps, row.has_gaps, row.owner_id) == (5, "owner,budget", True, None)
    await turns.run(assessment_id=assessment_id, event=events.SetOwner(person=Person("Dana"), by=ana), now=now)
    row = await backend.columns(assessment_id)
    assert row.gaps == "budget" and await backend.people([row.owner_id]) == [("Dana", "name:dana")]


async def test_load_all_reads_everything_in_a_few_statements(turns, repos, backend, now, ana):
    ids = [await started(turns, now, ana, project=f"Project {i}") for i in range(12)]
    for assessment_id in ids:
        await say(turns, assessment_id, "1", now, ana)
    with backend.statements() as statements:
        loaded = await repos.assessments.load_all()
    assert [item.id for item in loaded] == ids
    assert all(item.state.answers["data"].values["choice"] == "ready" for item in loaded)
    if backend.sql:
        assert len(statements) == 2  # the assessments; their answers and people


async def test_a_turn_is_one_transaction_of_a_few_statements_each_compiled_once(turns, backend, now, ana):
    """A click by someone the assessment knows: read (held), mark the request, the row, the answer and its history; no people upsert."""
    if not backend.sql:
        pytest.skip("statements are SQL's")
    assessment_id = await started(turns, now, ana)
    for n, line in enumerate(["2; notes", "back"]):  # SQLAlchemy compiles every statement of a turn once
        await say(turns, assessment_id, line, now, ana, workspace="T1", applying=await request(backend.repos, now, key=f"warm:{n}"))
    request_id = await request(backend.repos, now)
    with backend.traffic() as traffic:
        outcome = await turns.run(assessment_id=assessment_id, event=read("1", by=ana), now=now, workspace="T1", applying=request_id)
    assert outcome.changed and outcome.version == 4
    assert traffic.transactions == 1, traffic.statements
    assert len(traffic.statements) <= 7, traffic.statements  # BEGIN IMMEDIATE on SQLite, 2 reads, 4 writes
    assert len(traffic.writes) <= 4, traffic.writes
    assert not [s for s in traffic.writes if "INTO person" in s]
    assert traffic.compiled == []


async def test_a_turn_that_changes_nothing_writes_only_that_its_request_was_applied(turns, backend, now, ana):
    assessment_id = await started(turns, now, ana)
    request_id = await request(backend.repos, now)
    with backend.traffic() as traffic:
        outcome = await turns.run(assessment_id=assessment_id, event=events.Status(by=ana), now=now, applying=request_id)
    assert not outcome.changed and outcome.replies and outcome.version == 1
    assert len(traffic.writes) <= 1 and traffic.transactions <= 1  # the request's mark, nothing of the assessment
    assert (await backend.repos.inbox.get(id=request_id)).applied_at is not None
    again = await turns.run(assessment_id=assessment_id, event=events.Status(by=ana), now=now, applying=request_id)
    assert again.replayed  # a redelivery is known as one even when the first delivery changed nothing


async def test_new_people_and_new_names_are_stored_with_the_change(turns, repos, backend, now, ana, bo):
    assessment_id = await started(turns, now, ana)
    await say(turns, assessment_id, "1", now, ana)
    await say(turns, assessment_id, "2", now, bo)  # someone new
    renamed = Person(name="Ana Ruiz-Vega", id=ana.id)
    await say(turns, assessment_id, "edit 1", now, renamed)
    await say(turns, assessment_id, "3", now, renamed)  # the same person under a new name
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert loaded.state.answers["process"].by == bo
    assert loaded.state.answers["data"].by == renamed and loaded.state.started_by == renamed
    changes = await repos.assessments.history(assessment_id=assessment_id)
    assert sorted({(c.by.name, c.by.id) for c in changes}) == [("Ana Ruiz-Vega", "U0ANA"), ("Bo Chen", "U0BO")]
    await turns.run(assessment_id=assessment_id, event=events.SetSponsor(person=Person("Sam Ortiz"), by=bo), now=now)
    assert (await repos.assessments.load(assessment_id=assessment_id)).state.sponsor == Person("Sam Ortiz")
    assert await repos.workspaces.person_id(platform="slack", workspace="T1", person="name:sam ortiz") is not None


async def test_deleting_a_workspace_removes_its_assessments_and_answers(turns, repos, backend, now, ana):
    mine = await started(turns, now, ana)
    theirs = await started(turns, now, ana, place=ELSEWHERE)
    for assessment_id in (mine, theirs):
        await say(turns, assessment_id, "1", now, ana)
    await backend.drop_workspace_row("T2")
    assert await repos.assessments.load(assessment_id=theirs) is None
    assert (await repos.assessments.load(assessment_id=mine)).state.answers
    assert await backend.counts() == (1, 1)


async def test_deleting_an_assessment_removes_its_answers_and_history(turns, repos, backend, now, ana):
    doomed = await started(turns, now, ana)
    kept = await started(turns, now, ana, project="Fraud model")
    for assessment_id in (doomed, kept):
        await say(turns, assessment_id, "1", now, ana)
    await repos.assessments.delete_assessment(assessment_id=doomed)
    assert await repos.assessments.load(assessment_id=doomed) is None
    assert await repos.assessments.history(assessment_id=doomed) == []
    assert [i.id for i in await repos.assessments.listing(platform="slack", workspace="T1")] == [kept]
    assert await backend.counts() == (1, 1)


async def test_the_thread_is_remembered_once_the_platform_made_it(turns, repos, now, ana):
    assessment_id = await started(turns, now, ana)
    await repos.assessments.set_thread(assessment_id=assessment_id, thread="1700000000.000100")
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert loaded.place == replace(HERE, thread="1700000000.000100")


async def test_the_checks_of_a_channel_and_a_persons_own_checks(turns, repos, now, ana, bo):
    older = await started(turns, now, ana)
    newer = await started(turns, now + timedelta(minutes=1), bo, project="Fraud model", sponsor=ana)
    await started(turns, now + timedelta(minutes=2), bo, place=replace(HERE, channel="C2"), project="Elsewhere")
    here = await repos.assessments.in_channel(platform="slack", workspace="T1", channel="C1")
    assert [(i.id, i.project) for i in here] == [(newer, "Fraud model"), (older, "Churn model")]
    assert await repos.assessments.in_channel(platform="slack", workspace="T1", channel="C404") == []
    assert await repos.assessments.in_channel(platform="slack", workspace="T2", channel="C1") == []
    await turns.run(assessment_id=older, event=events.SetOwner(person=Person("Dana"), by=ana), now=now + timedelta(minutes=3))
    mine = await repos.assessments.for_person(platform="slack", workspace="T1", person=ana.key)
    assert [i.id for i in mine] == [older, newer]  # started one, sponsors the other; the most recently changed first
    assert [i.id for i in await repos.assessments.for_person(platform="slack", workspace="T1", person="name:dana")] == [older]
    assert await repos.assessments.for_person(platform="slack", workspace="T2", person=ana.key) == []
    assert await repos.assessments.for_person(platform="slack", workspace="T1", person="U404") == []


# -- a request applies once ---------------------------------------------------------------


async def test_a_created_assessment_applies_its_request_once(turns, repos, now, ana):
    request_id = await request(repos, now)
    first = await turns.start(place=HERE, project="Churn model", by=ana, now=now, applying=request_id)
    assert first.id is not None and (await repos.inbox.get(id=request_id)).applied_at == now
    state = step(None, events.Start(project="Churn model", by=ana), now).state
    with pytest.raises(AlreadyApplied):
        await repos.assessments.create(place=HERE, state=state, now=now, applying=request_id)
    assert [i.id for i in await repos.assessments.listing(platform="slack", workspace="T1")] == [first.id]


async def test_a_change_applies_its_request_once_and_a_replay_writes_nothing(turns, repos, backend, now, ana):
    assessment_id = await started(turns, now, ana)
    request_id = await request(repos, now)
    outcome = await turns.run(assessment_id=assessment_id, event=read("1", by=ana), now=now, applying=request_id)
    assert outcome.changed and outcome.version == 2
    assert (await repos.inbox.get(id=request_id)).applied_at == now

    later = now + timedelta(minutes=1)
    newcomer = Person(name="Cy Dunn", id="U0CY")  # the replay would add a person: that too is undone
    replayed = await turns.run(assessment_id=assessment_id, event=read("2", by=newcomer), now=later, applying=request_id)
    assert replayed.replayed and not replayed.changed and replayed.replies == ()
    assert replayed.version == 2 and replayed.state.answers["data"].values["choice"] == "ready"  # what the card is drawn from
    after = await repos.assessments.load(assessment_id=assessment_id)
    assert after.version == 2 and after.state.answers["data"].values["choice"] == "ready" and "process" not in after.state.answers
    assert len(await repos.assessments.history(assessment_id=assessment_id)) == 1
    assert await repos.workspaces.person_id(platform="slack", workspace="T1", person="U0CY") is None
    assert (await repos.inbox.get(id=request_id)).applied_at == now


async def test_an_unknown_request_applies_nothing(turns, repos, now, ana):
    assessment_id = await started(turns, now, ana)
    with pytest.raises(AlreadyApplied):
        await repos.assessments.change(
            assessment_id=assessment_id, workspace=None, apply=lambda loaded: answer(loaded, "1", ana, now), now=now, applying=404
        )
    assert (await repos.assessments.load(assessment_id=assessment_id)).version == 1
    assert await repos.assessments.history(assessment_id=assessment_id) == []


# -- one change, one unit of work ---------------------------------------------------------


def answer(loaded, line, who, now):
    """What a turn's step makes of a line: the new state."""
    return step(loaded.state, read(line, by=who), now).state


async def test_a_change_gets_the_stored_assessment_and_returns_it_as_written(turns, repos, backend, now, ana):
    assessment_id = await started(turns, now, ana)
    seen = []

    def apply(loaded):
        seen.append(loaded)
        return answer(loaded, "2; nightly batch", ana, now)

    changed = await repos.assessments.change(assessment_id=assessment_id, workspace="T1", apply=apply, now=now)
    stored = await repos.assessments.load(assessment_id=assessment_id)
    assert [item.version for item in seen] == [1] and seen[0] == changed.loaded
    assert changed.changed and changed.version == 2 == stored.version
    assert changed.state == stored.state and stored.state.answers["data"].values == {"choice": "partly", "notes": "nightly batch"}
    assert changed.loaded.place == stored.place == HERE
    row = await backend.columns(assessment_id)
    assert row.answered == 1 and row.gaps == "owner,budget,roi"


async def test_a_change_with_nothing_to_write_writes_nothing(turns, repos, now, ana):
    assessment_id = await started(turns, now, ana)
    request_id = await request(repos, now)
    unchanged = await repos.assessments.change(
        assessment_id=assessment_id, workspace=None, apply=lambda loaded: None, now=now, applying=request_id
    )
    assert not unchanged.changed and unchanged.version == 1 and unchanged.state == unchanged.loaded.state
    assert (await repos.assessments.load(assessment_id=assessment_id)).version == 1
    assert (await repos.inbox.get(id=request_id)).applied_at is not None  # so that a redelivery is known as one


async def test_a_failing_change_writes_nothing_and_leaves_its_request_to_apply(turns, repos, backend, now, ana):
    assessment_id = await started(turns, now, ana)
    request_id = await request(repos, now)

    def broken(loaded):
        answer(loaded, "1", Person(name="Cy Dunn", id="U0CY"), now)
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await repos.assessments.change(assessment_id=assessment_id, workspace=None, apply=broken, now=now, applying=request_id)
    assert (await repos.assessments.load(assessment_id=assessment_id)).version == 1
    assert (await repos.inbox.get(id=request_id)).applied_at is None
    assert await backend.counts() == (0, 0)
    outcome = await turns.run(assessment_id=assessment_id, event=read("2", by=ana), now=now, applying=request_id)
    assert outcome.changed and (await repos.inbox.get(id=request_id)).applied_at == now


async def test_a_change_from_another_workspace_is_not_found(turns, repos, now, ana):
    theirs = await started(turns, now, ana, place=ELSEWHERE, project="Fraud model")
    called = []
    found = await repos.assessments.change(
        assessment_id=theirs, workspace="T1", apply=lambda loaded: called.append(loaded), now=now, applying=None
    )
    assert found is None and called == []
    missing = await repos.assessments.change(assessment_id=404, workspace=None, apply=lambda loaded: called.append(loaded), now=now)
    assert missing is None and called == []
    mine = await repos.assessments.change(assessment_id=theirs, workspace="T2", apply=lambda loaded: answer(loaded, "1", ana, now), now=now)
    assert mine.changed and mine.loaded.place == ELSEWHERE


def submissions(count):
    """`count` different answers to question 1, each by someone else."""
    return [
        events.Submit(
            question="data", values={"choice": ("ready", "partly", "legacy")[i % 3], "notes": f"take {i}"}, by=Person(f"P{i}", f"U{i}")
        )
        for i in range(count)
    ]


def assert_applied_in_order(history, loaded, count):
    """Every change once, in a chain: each saw the one before; the version counts them."""
    assert len(history) == count
    assert sorted(c.new_value["notes"] for c in history) == sorted(f"take {i}" for i in range(count))
    assert history[0].old_value is None
    for earlier, later in itertools.pairwise(history):
        assert later.old_value == earlier.new_value
    assert history[-1].new_value == dict(loaded.state.answers["data"].values)
    assert loaded.version == 1 + count


async def test_twenty_concurrent_changes_to_one_assessment_apply_once_each_in_order(turns, repos, now, ana):
    assessment_id = await started(turns, now, ana)
    requests = [await request(repos, now, key=f"evt:{i}") for i in range(20)]
    outcomes = await asyncio.gather(
        *[
            turns.run(assessment_id=assessment_id, event=event, now=now, workspace="T1", applying=request_id)
            for event, request_id in zip(submissions(20), requests, strict=True)
        ]
    )
    assert all(o.changed and not o.replayed for o in outcomes)
    assert sorted(o.version for o in outcomes) == list(range(2, 22))  # each its own version: none saw the same state
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert_applied_in_order(await repos.assessments.history(assessment_id=assessment_id), loaded, 20)
    assert [(await repos.inbox.get(id=r)).applied_at for r in requests] == [now] * 20


async def test_concurrent_changes_from_two_processes_apply_once_each_in_order(turns, repos, backend, now, ana):
    """Two replicas on one database: on SQLite a change takes the write lock before it reads, so neither fails nor retries."""
    assessment_id = await started(turns, now, ana)
    other = Turns(assessments=(await backend.replica()).assessments)
    await asyncio.gather(
        *[(turns if i % 2 else other).run(assessment_id=assessment_id, event=event, now=now) for i, event in enumerate(submissions(20))]
    )
    loaded = await repos.assessments.load(assessment_id=assessment_id)
    assert_applied_in_order(await repos.assessments.history(assessment_id=assessment_id), loaded, 20)


async def test_the_stored_version_alone_follows_every_change(turns, repos, now, ana):
    assessment_id = await started(turns, now, ana)
    assert await repos.assessments.version(assessment_id=assessment_id) == 1
    await say(turns, assessment_id, LINES[0], now, ana)
    await say(turns, assessment_id, "status", now, ana)  # changes nothing
    assert await repos.assessments.version(assessment_id=assessment_id) == 2
    assert await repos.assessments.version(assessment_id=assessment_id + 100) is None


async def test_a_name_is_taken_once_per_conversation_in_any_case(turns, repos, now, ana):
    first = await started(turns, now, ana, project="Churn model")
    again = await turns.start(place=HERE, project="churn MODEL", by=ana, now=now)
    assert again.id is None and again.existing == first and again.replies == ()
    elsewhere = await turns.start(place=ELSEWHERE, project="Churn model", by=ana, now=now)
    assert elsewhere.id is not None and elsewhere.id != first  # another conversation, another check
    assert len(await repos.assessments.listing(platform=HERE.platform, workspace=HERE.workspace)) == 1


async def test_an_archived_check_leaves_lists_reminders_and_digests_and_stays_loadable(turns, repos, now, ana, bo):
    kept = await started(turns, now, ana, sponsor=bo)
    archived = await started(turns, now, ana, project="Fraud model", sponsor=bo)
    await turns.run(assessment_id=archived, event=events.Archive(by=ana), now=now + timedelta(minutes=1))
    assert [i.id for i in await repos.assessments.in_channel(platform="slack", workspace="T1", channel="C1")] == [kept]
    assert [i.id for i in await repos.assessments.listing(platform="slack", workspace="T1")] == [kept]
    assert [i.id for i in await repos.assessments.for_person(platform="slack", workspace="T1", person=ana.key)] == [kept]
    sponsor = await repos.workspaces.person_id(platform="slack", workspace="T1", person=bo.key)
    assert [p.id for p in (await repos.workspaces.sponsored(person_ids=[sponsor]))[sponsor]] == [kept]
    due = await repos.deliveries.claim_assessments(now=now + timedelta(days=30), platforms=["slack"], limit=10)
    assert [c.id for c in due] == [kept]
    loaded = await repos.assessments.load(assessment_id=archived)  # exports still read it
    assert loaded is not None and loaded.state.stage is Stage.ARCHIVED and loaded.state.project == "Fraud model"
