"""The Workspaces contract, on every backend: settings, people, sponsors, and deleting a workspace with all it holds."""

from dataclasses import replace
from datetime import time, timedelta

from conversations.commands import read
from conversations.people import Person
from conversations.ports import Incoming, Place
from conversations.reminders import Notice, Planned, Rescheduled, Target
from conversations.schedule import Kind, Settings, next_digest
from tests.storage.conftest import ELSEWHERE, HERE

ANA = Person(name="Ana", id="UANA")
SAM = Person(name="Sam", id="USAM")
BERLIN = Settings(
    tz="Europe/Berlin",
    nudge_every=3,
    nudge_at=time(11, 30),
    work_start=time(8, 0),
    work_end=time(17, 0),
    stall_after=timedelta(hours=48),
    escalate_after=2,
    digest_weekday=4,
    digest_at=time(16, 0),
)


async def test_settings_are_the_defaults_until_saved_and_per_workspace(repos, now):
    assert await repos.workspaces.settings(platform="slack", workspace="T1") == Settings()
    await repos.workspaces.save_settings(platform="slack", workspace="T1", settings=BERLIN, now=now)
    assert await repos.workspaces.settings(platform="slack", workspace="T1") == BERLIN
    assert await repos.workspaces.settings(platform="slack", workspace="T2") == Settings()
    assert await repos.workspaces.settings(platform="teams", workspace="T1") == Settings()


async def test_new_settings_move_the_schedules_of_the_workspace(turns, repos, now):
    mine = (await turns.start(place=HERE, project="Churn model", by=ANA, now=now, sponsor=SAM)).id
    theirs = (await turns.start(place=ELSEWHERE, project="Fraud model", by=ANA, now=now, sponsor=SAM)).id
    assert len(await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)) == 2  # both leased now
    assert len(await repos.deliveries.claim_sponsors(now=now, platforms=["slack"], limit=10)) == 2
    later = now + timedelta(minutes=1)
    await repos.workspaces.save_settings(platform="slack", workspace="T1", settings=BERLIN, now=later)
    (looked,) = await repos.deliveries.claim_assessments(now=later, platforms=["slack"], limit=10)
    assert looked.id == mine and looked.settings == BERLIN  # looked at again at once, under the new settings
    assert theirs not in [c.id for c in await repos.deliveries.claim_assessments(now=later, platforms=["slack"], limit=10)]
    slot = next_digest(BERLIN, tz=None, after=later)  # T2's sponsor comes back when the lease runs out, T1's at the new slot
    early = await repos.deliveries.claim_sponsors(now=slot - timedelta(seconds=1), platforms=["slack"], limit=10)
    assert [s.workspace for s in early] == ["T2"]
    (sponsor,) = await repos.deliveries.claim_sponsors(now=slot, platforms=["slack"], limit=10)
    assert (sponsor.workspace, sponsor.settings) == ("T1", BERLIN)


async def test_people_are_known_by_workspace(turns, repos, now):
    await turns.start(place=HERE, project="Churn model", by=ANA, now=now, sponsor=Person(name="Dana"))
    ana = await repos.workspaces.person_id(platform="slack", workspace="T1", person="UANA")
    assert ana is not None and await repos.workspaces.person_id(platform="slack", workspace="T1", person="name:dana") is not None
    assert await repos.workspaces.person_id(platform="slack", workspace="T2", person="UANA") is None
    assert await repos.workspaces.person_id(platform="teams", workspace="T1", person="UANA") is None
    assert await repos.workspaces.person_id(platform="slack", workspace="T1", person="U404") is None


async def test_a_time_zone_is_kept_when_it_is_one(turns, repos, now):
    await repos.workspaces.set_time_zone(platform="teams", workspace="TENANT", person=SAM, tz="Mars/Olympus", now=now)
    assert await repos.workspaces.person_id(platform="teams", workspace="TENANT", person="USAM") is None
    await repos.workspaces.set_time_zone(platform="teams", workspace="TENANT", person=SAM, tz="Asia/Tokyo", now=now)
    sam = await repos.workspaces.person_id(platform="teams", workspace="TENANT", person="USAM")
    assert sam is not None
    place = Place(platform="teams", workspace="TENANT", channel="19:c")
    await turns.start(place=place, project="Churn model", by=ANA, now=now, sponsor=SAM)
    (due,) = await repos.deliveries.claim_sponsors(now=now, platforms=["teams"], limit=10)
    assert (due.id, due.tz, due.tz_checked_at) == (sam, "Asia/Tokyo", None)  # a new sponsor's zone is checked again
    await repos.workspaces.set_time_zone(platform="teams", workspace="TENANT", person=SAM, tz="Europe/Lisbon", now=now)
    (due,) = await repos.deliveries.claim_sponsors(now=now + timedelta(minutes=10), platforms=["teams"], limit=10)
    assert (due.tz, due.tz_checked_at) == ("Europe/Lisbon", now)


async def test_sponsored_groups_each_sponsors_projects(turns, repos, now):
    dana = Person(name="Dana", id="UDANA")
    first = (await turns.start(place=HERE, project="Churn model", by=ANA, now=now, sponsor=SAM)).id
    second = (await turns.start(place=HERE, project="Fraud model", by=ANA, now=now, sponsor=SAM)).id
    third = (await turns.start(place=HERE, project="Pricing", by=ANA, now=now, sponsor=dana)).id
    await turns.run(assessment_id=second, event=read("1", by=ANA), now=now + timedelta(hours=1))
    ids = {p.key: await repos.workspaces.person_id(platform="slack", workspace="T1", person=p.key) for p in (ANA, SAM, dana)}
    found = await repos.workspaces.sponsored(person_ids=[ids["USAM"], ids["UDANA"], ids["UANA"]])
    assert {k: [p.id for p in v] for k, v in found.items()} == {ids["USAM"]: [first, second], ids["UDANA"]: [third]}
    project = found[ids["USAM"]][1]
    assert (project.state.project, project.last_activity, project.previous_total) == ("Fraud model", now + timedelta(hours=1), None)
    assert set(project.gaps_since) == {"owner", "budget", "roi"} and project.state.answers["data"].by == ANA
    assert await repos.workspaces.sponsored(person_ids=[]) == {}


async def test_deleting_a_workspace_deletes_all_it_holds_and_nothing_else(turns, repos, now):
    gone = (await turns.start(place=HERE, project="Churn model", by=ANA, now=now, sponsor=SAM)).id
    kept = (await turns.start(place=ELSEWHERE, project="Fraud model", by=ANA, now=now, sponsor=SAM)).id
    for assessment_id in (gone, kept):
        await turns.run(assessment_id=assessment_id, event=read("1", by=ANA), now=now)
    wids = {a: (await repos.assessments.load(assessment_id=a)).workspace_id for a in (gone, kept)}
    notice = Notice(kind="gap", title="t")
    await repos.deliveries.record(
        planned=[
            Planned(f"gap:{a}", Kind.GAP, notice, Target(platform="slack", workspace="T", channel="C"), wids[a], assessment_id=a)
            for a in (gone, kept)
        ],
        rescheduled=[],
        now=now,
    )
    await repos.teams.remember(tenant="T1", conversation_id="19:x", kind="channel", reference={"a": 1}, now=now)
    await repos.inbox.put(item=Incoming(key="evt:1", platform="slack", workspace="T1", payload={}), now=now, lease=timedelta(minutes=1))

    assert await repos.workspaces.delete_workspace(platform="slack", workspace="T1") is True
    assert await repos.assessments.load(assessment_id=gone) is None
    assert await repos.assessments.history(assessment_id=gone) == []
    assert await repos.assessments.listing(platform="slack", workspace="T1") == []
    assert await repos.workspaces.person_id(platform="slack", workspace="T1", person="UANA") is None
    assert [r.key for r in await repos.deliveries.outbox()] == [f"gap:{kept}"]
    assert await repos.teams.find(tenant="T1") == {"a": 1}  # another platform's workspace of the same id
    assert await repos.inbox.pending() == 1  # the inbox is not part of a workspace: its requests stay until done

    assert (await repos.assessments.load(assessment_id=kept)).state.answers
    assert len(await repos.assessments.history(assessment_id=kept)) == 1
    assert await repos.workspaces.delete_workspace(platform="slack", workspace="T1") is False
    assert await repos.workspaces.delete_workspace(platform="teams", workspace="T1") is True
    assert await repos.teams.find(tenant="T1") is None


async def test_the_cap_and_where_the_zone_came_from_are_kept_with_the_settings(repos, now):
    chosen = replace(BERLIN, stop_after=4, tz_source="settings", tz_by="Sam")
    await repos.workspaces.save_settings(platform="slack", workspace="T1", settings=chosen, now=now)
    assert await repos.workspaces.settings(platform="slack", workspace="T1") == chosen
    assert (Settings().stop_after, Settings().tz_source) == (6, None)


async def test_a_zone_from_the_platform_is_taken_until_an_admin_chooses_one(turns, repos, now):
    aid = (await turns.start(place=HERE, project="Churn model", by=ANA, now=now, sponsor=SAM)).id
    await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)  # scheduled for later, say
    later = now + timedelta(minutes=1)
    assert await repos.workspaces.adopt_zone(platform="slack", workspace="T1", tz=None, by=None, now=now) is False
    assert (await repos.workspaces.settings(platform="slack", workspace="T1")).tz_source == "default"
    assert await repos.workspaces.adopt_zone(platform="slack", workspace="T1", tz="Not/AZone", by="Ana", now=later) is False
    assert await repos.workspaces.adopt_zone(platform="slack", workspace="T1", tz="America/New_York", by="Ana", now=later) is True
    settings = await repos.workspaces.settings(platform="slack", workspace="T1")
    assert (settings.tz, settings.tz_source, settings.tz_by) == ("America/New_York", "platform", "Ana")
    (looked,) = await repos.deliveries.claim_assessments(now=later, platforms=["slack"], limit=10)
    assert looked.id == aid and looked.settings.tz == "America/New_York"  # looked at again at once, in the new zone
    # The first zone found stays; another workspace is not touched.
    assert await repos.workspaces.adopt_zone(platform="slack", workspace="T1", tz="Asia/Tokyo", by="Sam", now=later) is False
    assert (await repos.workspaces.settings(platform="slack", workspace="T1")).tz == "America/New_York"
    assert await repos.workspaces.settings(platform="slack", workspace="T2") == Settings()
    # An admin's choice is never replaced by the platform's.
    await repos.workspaces.save_settings(
        platform="slack", workspace="T2", settings=replace(BERLIN, tz_source="settings", tz_by="Sam"), now=now
    )
    assert await repos.workspaces.adopt_zone(platform="slack", workspace="T2", tz="Asia/Tokyo", by="Ana", now=later) is False
    assert (await repos.workspaces.settings(platform="slack", workspace="T2")).tz == "Europe/Berlin"


async def test_a_sponsors_projects_carry_the_reminders_unanswered_since_the_last_change(turns, repos, now):
    aid = (await turns.start(place=HERE, project="Churn model", by=ANA, now=now, sponsor=SAM)).id
    (candidate,) = await repos.deliveries.claim_assessments(now=now, platforms=["slack"], limit=10)
    later = now + timedelta(days=30)
    quiet = replace(candidate.facts, last_reminded=later, reminders_since_change=6)
    await repos.deliveries.record(planned=[], rescheduled=[Rescheduled(aid, None, quiet)], now=now)
    sam = await repos.workspaces.person_id(platform="slack", workspace="T1", person="USAM")
    assert [p.unanswered for p in (await repos.workspaces.sponsored(person_ids=[sam]))[sam]] == [6]
    await turns.run(assessment_id=aid, event=read("1", by=ANA), now=later + timedelta(hours=1))  # a change
    assert [p.unanswered for p in (await repos.workspaces.sponsored(person_ids=[sam]))[sam]] == [0]
