"""The Deliveries contract, on every backend: due work leased to one pass, each delivery queued once and recorded."""

import asyncio
from dataclasses import replace
from datetime import timedelta

from conversations import events
from conversations.commands import read
from conversations.people import Person
from conversations.ports import DELIVERY_LEASE, DeliveryOutcome, DueSponsor, Outgoing
from conversations.reminders import Notice, Planned, Rescheduled, Target, Touched
from conversations.schedule import Facts, Kind, Settings
from tests.storage.conftest import HERE

ANA = Person(name="Ana", id="UANA")
SAM = Person(name="Sam", id="USAM")
DANA = Person(name="Dana", id="UDANA")
CHANNEL = Target(platform="slack", workspace="T1", channel="C1", thread="1.0")


async def started(turns, now, *, sponsor=SAM, project="Churn model"):
    begun = await turns.start(place=HERE, project=project, by=ANA, now=now, sponsor=sponsor)
    return begun.id


def planned(key, *, workspace_id, assessment_id=None, person_id=None, target=CHANNEL):
    notice = Notice(kind="gap", title=f"About {key}", lines=("a line",), people=(SAM,), assessment_id=assessment_id)
    return Planned(key, Kind.GAP, notice, target, workspace_id, assessment_id=assessment_id, person_id=person_id)


def facts(now, *, count):
    return Facts(finished=False, gaps=("owner",), last_activity=now, last_reminded=now, reminders_since_change=count, escalated=count > 2)


async def test_an_assessment_is_looked_at_when_due_with_all_the_planner_needs_and_leased_meanwhile(turns, repos, now):
    aid = await started(turns, now)
    await turns.run(assessment_id=aid, event=read("1", by=ANA), now=now)
    loaded = await repos.assessments.load(assessment_id=aid)
    assert await repos.deliveries.claim_assessments(now=now - timedelta(seconds=1), platforms=["slack"], limit=10) == []
    assert await repos.deliveries.claim_assessments(now=now, platforms=["teams"], limit=10) == []
    (candidate,) = await repos.deliveries.claim_assessments(now=now, platforms=["slack", "teams"], limit=10)
    assert (candidate.id, candidate.workspace_id, candidate.project) == (aid, loaded.workspace_id, "Churn model")
    assert candidate.facts == Facts(finished=False, gaps=("owner", "budget", "roi"), last_activity=now, has_sponsor=True)
    assert (candidate.settings, candidate.target) == (Settings(), Target(platform="slack", workspace="T1", channel="C1"))
    assert (candidate.answered, candidate.position, candidate.started_by, candidate.sponsor, candidate.owner) == (1, 2, ANA, SAM, None)
    assert candidate.gaps_since == {gap: now.isoformat() for gap in ("owner", "budget", "roi")}
    assert await repos.deliveries.claim_assessments(now=now + DELIVERY_LEASE - timedelta(seconds=1), platforms=["slack"], limit=10) == []
    again = await repos.deliveries.claim_assessments(now=now + DELIVERY_LEASE, platforms=["slack"], limit=10)
    assert [c.id for c in again] == [aid]  # the pass that leased it died: the next one takes it


async def test_the_next_look_is_written_only_while_the_pass_still_holds_the_assessment(turns, repos, now):
    kept, changed = await started(turns, now), await started(turns, now, project="Fraud model")
    loaded = await repos.assessments.load(assessment_id=kept)
    assert len(await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)) == 2
    await turns.run(assessment_id=changed, event=read("1", by=ANA), now=now)  # a change while the pass plans
    later = now + timedelta(days=2)
    new = await repos.deliveries.record(
        planned=[planned("gap:1", workspace_id=loaded.workspace_id, assessment_id=kept)],
        rescheduled=[Rescheduled(kept, later, facts(now, count=1)), Rescheduled(changed, later, facts(now, count=1))],
        now=now,
    )
    assert new == 1
    soon = await repos.deliveries.claim_assessments(now=now + timedelta(days=1), platforms=["slack"], limit=10)
    assert [c.id for c in soon] == [changed]  # its change asked for a look now, which the pass did not overwrite
    looked = {c.id: c for c in await repos.deliveries.claim_assessments(now=later, platforms=["slack"], limit=10)}[kept]
    assert (looked.facts.last_reminded, looked.facts.reminders_since_change, looked.facts.escalated) == (now, 1, False)


async def test_each_delivery_is_queued_once_sent_once_and_retried_when_asked(turns, repos, now):
    aid = await started(turns, now)
    wid = (await repos.assessments.load(assessment_id=aid)).workspace_id
    first, second = planned("gap:a", workspace_id=wid, assessment_id=aid), planned("gap:b", workspace_id=wid, assessment_id=aid)
    assert await repos.deliveries.record(planned=[first, second, first], rescheduled=[], now=now) == 2
    assert await repos.deliveries.record(planned=[first], rescheduled=[], now=now) == 0
    rows = await repos.deliveries.outbox()
    assert [(r.key, r.kind, r.status, r.attempts, r.assessment_id, r.next_attempt_at) for r in rows] == [
        ("gap:a", "gap", "pending", 0, aid, now),
        ("gap:b", "gap", "pending", 0, aid, now),
    ]
    assert await repos.deliveries.claim_outbox(now=now - timedelta(seconds=1), limit=10) == []
    (one,) = await repos.deliveries.claim_outbox(now=now, limit=1)
    assert one == Outgoing(id=rows[0].id, key="gap:a", platform="slack", target=CHANNEL, notice=first.notice, attempts=0)
    (two,) = await repos.deliveries.claim_outbox(now=now, limit=10)
    assert two.key == "gap:b" and await repos.deliveries.claim_outbox(now=now, limit=10) == []

    retry_at = now + timedelta(minutes=2)
    await repos.deliveries.finish(
        outcomes=[DeliveryOutcome(one.id, "sent"), DeliveryOutcome(two.id, "pending", error="ratelimited", next_attempt_at=retry_at)],
        now=now,
    )
    sent, waiting = await repos.deliveries.outbox()
    assert (sent.status, sent.attempts, sent.sent_at, sent.error) == ("sent", 1, now, None)
    assert (waiting.status, waiting.attempts, waiting.sent_at, waiting.error, waiting.next_attempt_at) == (
        "pending",
        1,
        None,
        "ratelimited",
        retry_at,
    )
    assert await repos.deliveries.claim_outbox(now=retry_at - timedelta(seconds=1), limit=10) == []
    (retried,) = await repos.deliveries.claim_outbox(now=retry_at, limit=10)
    assert (retried.id, retried.attempts) == (two.id, 1)
    (abandoned,) = await repos.deliveries.claim_outbox(now=retry_at + DELIVERY_LEASE, limit=10)  # its sender crashed mid-send
    assert abandoned.id == two.id
    await repos.deliveries.finish(outcomes=[DeliveryOutcome(two.id, "failed", error="x" * 400)], now=retry_at)
    (_, failed) = await repos.deliveries.outbox()
    assert (failed.status, failed.attempts, failed.error) == ("failed", 2, "x" * 300)
    assert await repos.deliveries.claim_outbox(now=now + timedelta(days=30), limit=10) == []


async def test_a_sponsors_digest_is_claimed_when_due_and_its_next_slot_recorded(turns, repos, now):
    aid = await started(turns, now)
    await repos.workspaces.set_time_zone(platform="slack", workspace="T1", person=SAM, tz="Europe/Berlin", now=now)
    sam = await repos.workspaces.person_id(platform="slack", workspace="T1", person=SAM.key)
    wid = (await repos.assessments.load(assessment_id=aid)).workspace_id
    assert await repos.deliveries.claim_sponsors(now=now, platforms=["teams"], limit=10) == []
    (due,) = await repos.deliveries.claim_sponsors(now=now, platforms=["slack"], limit=10)
    assert due == DueSponsor(
        id=sam,
        external_id="USAM",
        name="Sam",
        tz="Europe/Berlin",
        tz_checked_at=now,
        platform="slack",
        workspace="T1",
        workspace_id=wid,
        settings=Settings(),
    )
    assert await repos.deliveries.claim_sponsors(now=now, platforms=["slack"], limit=10) == []
    week = now + timedelta(days=7)
    digest = planned("digest:1", workspace_id=wid, person_id=sam, target=Target(platform="slack", workspace="T1", person="USAM"))
    assert (
        await repos.deliveries.record_digests(planned=[digest], schedule={sam: (week, "Europe/Paris", now)}, digested={aid: 4.5}, now=now)
        == 1
    )
    (row,) = await repos.deliveries.outbox()
    assert (row.key, row.person_id, row.assessment_id, row.target["person"]) == ("digest:1", sam, None, "USAM")
    assert (await repos.workspaces.sponsored(person_ids=[sam]))[sam][0].previous_total == 4.5
    assert await repos.deliveries.claim_sponsors(now=week - timedelta(seconds=1), platforms=["slack"], limit=10) == []
    (due,) = await repos.deliveries.claim_sponsors(now=week, platforms=["slack"], limit=10)
    assert (due.tz, due.tz_checked_at) == ("Europe/Paris", now)
    await repos.deliveries.record_digests(planned=[], schedule={sam: (None, "Europe/Paris", week)}, digested={}, now=week)
    assert await repos.deliveries.claim_sponsors(now=week + timedelta(days=365), platforms=["slack"], limit=10) == []


async def test_a_new_sponsor_is_scheduled_for_a_digest_once(turns, repos, now):
    aid = await started(turns, now)
    later = now + timedelta(hours=1)
    await turns.run(assessment_id=aid, event=events.SetSponsor(person=DANA, by=ANA), now=later)
    due = await repos.deliveries.claim_sponsors(now=later, platforms=["slack"], limit=10)
    assert sorted(d.external_id for d in due) == ["UDANA", "USAM"]
    assert all(d.tz_checked_at is None for d in due)  # their zones are asked for first
    await turns.run(assessment_id=aid, event=read("1", by=ANA), now=later)  # the same sponsor: nothing to schedule
    assert await repos.deliveries.claim_sponsors(now=later, platforms=["slack"], limit=10) == []


async def test_passes_at_the_same_moment_never_take_the_same_work(turns, repos, now):
    ids = {await started(turns, now, project=f"Project {i}") for i in range(24)}
    wid = (await repos.assessments.load(assessment_id=min(ids))).workspace_id
    await repos.deliveries.record(planned=[planned(f"gap:{i}", workspace_id=wid) for i in range(60)], rescheduled=[], now=now)
    looked: list[int] = []
    sent: list[int] = []
    for _ in range(12):
        passes = await asyncio.gather(*[repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=4) for _ in range(3)])
        outboxes = await asyncio.gather(*[repos.deliveries.claim_outbox(now=now, limit=7) for _ in range(3)])
        looked += [c.id for found in passes for c in found]
        sent += [o.id for found in outboxes for o in found]
    assert len(looked) == len(set(looked)) and set(looked) == ids
    assert len(sent) == len(set(sent)) == 60


async def test_a_live_pass_keeps_its_claim_on_what_it_has_not_sent_yet(turns, repos, now):
    aid = await started(turns, now)
    wid = (await repos.assessments.load(assessment_id=aid)).workspace_id
    keys = ("gap:a", "gap:b", "gap:c")
    await repos.deliveries.record(planned=[planned(k, workspace_id=wid, assessment_id=aid) for k in keys], rescheduled=[], now=now)
    sent, *unsent = await repos.deliveries.claim_outbox(now=now, limit=10)
    await repos.deliveries.finish(outcomes=[DeliveryOutcome(sent.id, "sent")], now=now)
    later = now + DELIVERY_LEASE + timedelta(minutes=1)
    await repos.deliveries.keep(ids=[sent.id, *(u.id for u in unsent)], until=later + DELIVERY_LEASE)
    assert await repos.deliveries.claim_outbox(now=later, limit=10) == []  # still held by the live pass
    taken = await repos.deliveries.claim_outbox(now=later + DELIVERY_LEASE, limit=10)  # the pass died: its lease ran out
    assert sorted(t.key for t in taken) == ["gap:b", "gap:c"]  # what was sent stays sent


# -- back-off, what changed, and dry runs -----------------------------------------------------


async def test_a_candidate_carries_the_gaps_last_reminded_and_the_answers_changed_since(turns, repos, now):
    aid = await started(turns, now)
    (candidate,) = await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)
    assert candidate.touched == () and candidate.facts.reminded_gaps == ()
    reminded = replace(candidate.facts, last_reminded=now, reminders_since_change=1, reminded_gaps=("owner", "budget", "roi"))
    await repos.deliveries.record(planned=[], rescheduled=[Rescheduled(aid, now, reminded)], now=now)
    later = now + timedelta(hours=2)
    await turns.run(assessment_id=aid, event=read("1", by=DANA), now=later)  # answered after the reminder
    (candidate,) = await repos.deliveries.claim_assessments(now=later, platforms=["slack"], limit=10)
    assert candidate.facts.reminded_gaps == ("owner", "budget", "roi") and candidate.facts.last_reminded == now
    assert candidate.touched == (Touched("data", DANA, later),)


async def test_answers_before_the_last_reminder_are_not_news(turns, repos, now):
    aid = await started(turns, now)
    await turns.run(assessment_id=aid, event=read("1", by=DANA), now=now)
    (candidate,) = await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)
    later = now + timedelta(hours=1)
    await repos.deliveries.record(
        planned=[], rescheduled=[Rescheduled(aid, later, replace(candidate.facts, last_reminded=later, reminders_since_change=1))], now=now
    )
    (candidate,) = await repos.deliveries.claim_assessments(now=later, platforms=["slack"], limit=10)
    assert candidate.touched == ()


async def test_a_dry_run_reads_what_is_due_without_taking_it(turns, repos, now):
    aid = await started(turns, now)
    loaded = await repos.assessments.load(assessment_id=aid)
    await repos.deliveries.record(
        planned=[planned("gap:dry", workspace_id=loaded.workspace_id, assessment_id=aid)], rescheduled=[], now=now
    )
    for _ in range(2):  # read twice: still there, still due
        assert [c.id for c in await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10, lease=False)] == [aid]
        assert [o.key for o in await repos.deliveries.claim_outbox(now=now, limit=10, lease=False)] == ["gap:dry"]
        assert [s.name for s in await repos.deliveries.claim_sponsors(now=now, platforms=["slack"], limit=10, lease=False)] == ["Sam"]
    (row,) = await repos.deliveries.outbox()
    assert (row.status, row.attempts) == ("pending", 0)
    assert [c.id for c in await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)] == [aid]  # a real pass takes it
    assert [o.key for o in await repos.deliveries.claim_outbox(now=now, limit=10)] == ["gap:dry"]
    assert len(await repos.deliveries.claim_sponsors(now=now, platforms=["slack"], limit=10)) == 1


async def test_workspaces_whose_zone_was_never_looked_for_are_listed_once_with_the_first_starter(turns, repos, now):
    await started(turns, now)
    await turns.start(place=replace(HERE, channel="C2"), project="Fraud model", by=DANA, now=now)
    assert await repos.deliveries.zones_to_find(platforms=["teams"], limit=10) == []
    assert await repos.deliveries.zones_to_find(platforms=["slack"], limit=10) == [("slack", "T1", ANA)]
    assert await repos.workspaces.adopt_zone(platform="slack", workspace="T1", tz=None, by=None, now=now) is False
    assert await repos.deliveries.zones_to_find(platforms=["slack"], limit=10) == []
    assert (await repos.workspaces.settings(platform="slack", workspace="T1")).tz_source == "default"
