"""Nudge and digest passes against the real database (SQLite, and PostgreSQL when available)."""

import asyncio
import time as clock
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event

from bot.bootstrap import bootstrap
from bot.config import Config
from bot.scheduler import MAX_ATTEMPTS, PACE, SEND_BATCH, Report, Scheduler
from conversations import events
from conversations.people import Person
from conversations.ports import Incoming, Outgoing
from conversations.reminders import Notice, Sent, Target
from conversations.service import Place
from tests.conftest import handle

UTC = UTC
MON = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday afternoon
WED_10 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ANA = Person(name="Ana", id="UANA")
SAM = Person(name="Sam", id="USAM")
DANA = Person(name="Dana", id="UDANA")
FULL = {
    "data": {"choice": "ready"},
    "process": {"choice": "defined"},
    "roi": {"statement": "Cut churn", "target": "4%", "by_when": "2099-01-01"},
    "governance": {"choice": "parallel"},
    "ownership": {"owner": None, "budget": "100k EUR", "time": "1 day a week"},
    "monitoring": {"checks": ["accuracy_drift", "data_drift", "outlier_alerts", "threshold_alerts"]},
    "skills": {"choice": "yes"},
    "use_case": {"choice": "real"},
}


class FakeSender:
    """The network edge: records what would be sent and answers as told."""

    def __init__(self):
        self.sent = []
        self.answers: list[Sent] = []
        self.zones: dict[str, str] = {}
        self.block: asyncio.Event | None = None

    async def send(self, *, notice, target):
        self.sent.append((notice, target))
        if self.block is not None:
            await self.block.wait()
        return self.answers.pop(0) if self.answers else Sent(ok=True)

    async def time_zone(self, *, workspace, person):
        return self.zones.get(person)


@pytest.fixture
async def core(db_url, tmp_path):
    app = await bootstrap(Config.from_env({"DATABASE_URL": db_url}))
    yield app
    await app.close()


@pytest.fixture
def sender():
    return FakeSender()


@pytest.fixture
def scheduler(core, sender):
    return Scheduler(deliveries=core.repos.deliveries, workspaces=core.repos.workspaces, inbox=core.repos.inbox, senders={"slack": sender})


async def finished(core, *, now=MON, project="Churn model", sponsor=SAM, answers=FULL, channel="C1"):
    place = Place(platform="slack", workspace="T1", channel=channel, thread="1700000000.000100")
    assessment_id = (await core.preflight.turns.start(place=place, project=project, by=ANA, now=now, sponsor=sponsor)).id
    for question, values in answers.items():
        await handle(core, assessment_id=assessment_id, event=events.Submit(question=question, values=values, by=ANA), now=now)
    await handle(core, assessment_id=assessment_id, event=events.Finish(by=ANA), now=now)
    return assessment_id


def kinds(sender):
    return [n.kind for n, _ in sender.sent]


async def test_a_gap_nudge_goes_to_the_thread_once_at_ten(core, scheduler, sender):
    aid = await finished(core)
    await scheduler.nudge_pass(now=WED_10 - timedelta(minutes=1))
    assert sender.sent == []
    report = await scheduler.nudge_pass(now=WED_10)
    assert (report.queued, report.sent) == (1, 1)
    notice, target = sender.sent[0]
    assert (notice.kind, target.channel, target.thread, target.person) == ("gap", "C1", "1700000000.000100", None)
    assert notice.title == "Churn model can't go to production yet: 1 blocking gap."
    assert notice.lines == ("No production owner: Sam, can you name the production owner?",)
    assert notice.people == (SAM,) and [a.label for a in notice.actions] == ["Fill in now", "Snooze a week"]
    for again in (WED_10, WED_10 + timedelta(minutes=5), WED_10 + timedelta(hours=7)):
        await scheduler.nudge_pass(now=again)
    assert len(sender.sent) == 1
    (row,) = await core.repos.deliveries.outbox()
    assert (row.key, row.status, row.assessment_id) == (f"gap:{aid}:2026-11-25", "sent", aid)


async def test_no_nudges_on_weekends_and_the_next_comes_two_business_days_later(core, scheduler, sender):
    await finished(core)
    sent_on = []
    for day in range(25, 31):  # Wednesday 25 to Monday 30 November, then Tuesday 1 December
        for hour in (9, 10, 15):
            now = datetime(2026, 11, day, hour, tzinfo=UTC)
            before = len(sender.sent)
            await scheduler.nudge_pass(now=now)
            sent_on += [now] * (len(sender.sent) - before)
    await scheduler.nudge_pass(now=datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert [d.strftime("%a %H:%M") for d in sent_on] == ["Wed 10:00", "Fri 10:00"]
    assert len(sender.sent) == 3


async def test_naming_the_owner_stops_the_nudges(core, scheduler, sender):
    aid = await finished(core)
    await scheduler.nudge_pass(now=WED_10)
    await handle(core, assessment_id=aid, event=events.SetOwner(person=DANA, by=ANA), now=WED_10 + timedelta(hours=1))
    for day in (27, 30):
        await scheduler.nudge_pass(now=datetime(2026, 11, day, 10, tzinfo=UTC))
    assert len(sender.sent) == 1
    loaded = await core.repos.assessments.load(assessment_id=aid)
    assert loaded.state.owner == DANA


async def test_snoozed_assessments_wait(core, scheduler, sender):
    aid = await finished(core)
    await handle(core, assessment_id=aid, event=events.Snooze(days=7, by=ANA), now=MON + timedelta(hours=1))
    for day in (25, 27, 30):
        await scheduler.nudge_pass(now=datetime(2026, 11, day, 10, tzinfo=UTC))
    assert sender.sent == []
    await scheduler.nudge_pass(now=datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert kinds(sender) == ["gap"]


async def every_half_hour(scheduler, sender, *, start, end, step=timedelta(minutes=30)):
    """Passes every half hour (or `step`) of working hours from `start` to `end`, as cron would run them: when each went."""
    sent_on, now = [], start
    while now <= end:
        if now.weekday() < 5 and 8 <= now.hour < 19:
            before = len(sender.sent)
            await scheduler.nudge_pass(now=now)
            sent_on += [(now, n) for n, _ in sender.sent[before:]]
        now += step
    return sent_on


async def test_the_sponsor_hears_after_three_unchanged_nudges(core, scheduler, sender):
    await finished(core)
    for day in (25, 27):
        await scheduler.nudge_pass(now=datetime(2026, 11, day, 10, tzinfo=UTC))
    for day in (1, 3, 7, 8):
        await scheduler.nudge_pass(now=datetime(2026, 12, day, 10, tzinfo=UTC))
    assert kinds(sender) == ["gap", "gap", "gap", "gap", "escalation"]
    notice, target = sender.sent[4]
    assert target.person == "USAM" and target.channel is None
    assert notice.title == "Churn model: 3 reminders and nothing has changed."


async def test_weeks_of_passes_back_off_then_leave_it_to_the_digest_and_a_change_starts_again(core, scheduler, sender):
    aid = await finished(core)  # Monday 23 November, 15:00: the owner is missing
    sent = await every_half_hour(scheduler, sender, start=MON, end=datetime(2026, 12, 10, 18, tzinfo=UTC))
    # Two and a half weeks: four reminders in the thread (not seven), the fourth with the sponsor's escalation.
    assert [(f"{when:%a %d %b %H:%M}", n.kind) for when, n in sent] == [
        ("Wed 25 Nov 10:00", "gap"),
        ("Fri 27 Nov 10:00", "gap"),
        ("Tue 01 Dec 10:00", "gap"),
        ("Tue 08 Dec 10:00", "gap"),
        ("Tue 08 Dec 10:00", "escalation"),
    ]
    gaps = [n for _, n in sent if n.kind == "gap"]
    assert gaps[0].lines == ("No production owner: Sam, can you name the production owner?",)
    assert gaps[1].lines[0] == "Nothing has changed since the last reminder on Wednesday."
    assert gaps[2].lines[-1] == "3 reminders with no change: from now on, one a week."
    assert gaps[3].lines[0] == "Nothing has changed since the last reminder on 1 December."
    later = await every_half_hour(
        scheduler, sender, start=datetime(2026, 12, 10, 18, tzinfo=UTC), end=datetime(2027, 1, 29, tzinfo=UTC), step=timedelta(hours=1)
    )
    assert [f"{when:%a %d %b}" for when, _ in later] == ["Tue 15 Dec", "Tue 22 Dec"]  # six in all, then none
    last = later[-1][1]
    assert last.lines[-1] == (
        "This is the last reminder here: 6 with no change. Sam keeps seeing it in their weekly digest. "
        "Any change to the check starts them again."
    )
    # From now on the sponsor's Monday digest is where the check stays in view.
    await scheduler.digest_pass(now=datetime(2027, 1, 29, tzinfo=UTC))  # Sam's first digest is scheduled
    await scheduler.digest_pass(now=datetime(2027, 2, 1, 9, tzinfo=UTC))
    (digest,) = [n for n, _ in sender.sent if n.kind == "digest"]
    assert digest.lines[0].endswith("\nThe channel has had 6 reminders with no change and hears no more: it stays in view here.")
    # Dana names the owner's budget anew on Monday 1 February: the back-off starts again, and says what changed.
    monday = datetime(2027, 2, 1, 11, tzinfo=UTC)
    budget = {**FULL["ownership"], "budget": "200k EUR"}
    await handle(core, assessment_id=aid, event=events.Submit(question="ownership", values=budget, by=DANA), now=monday)
    again = await every_half_hour(scheduler, sender, start=monday, end=datetime(2027, 2, 5, 18, tzinfo=UTC))
    assert [f"{when:%a %d %b}" for when, _ in again] == ["Wed 03 Feb", "Fri 05 Feb"]
    first = again[0][1]
    assert first.lines[0] == "Dana answered Production owner and budget on Monday; still open: owner."
    assert again[1][1].lines[0] == "Nothing has changed since the last reminder on Wednesday."


async def test_closing_one_gap_is_named_in_the_next_reminder_with_what_is_still_open(core, scheduler, sender):
    open_three = {**FULL, "ownership": {"owner": None, "budget": "not allocated", "time": "none"}, "roi": {"statement": "Cut churn"}}
    aid = await finished(core, answers=open_three)
    await scheduler.nudge_pass(now=WED_10)
    (first, _target) = sender.sent[0]
    assert first.title == "Churn model can't go to production yet: 3 blocking gaps."
    thursday = datetime(2026, 11, 26, 16, tzinfo=UTC)
    funded = {"owner": None, "budget": "90k EUR", "time": "none"}
    await handle(core, assessment_id=aid, event=events.Submit(question="ownership", values=funded, by=DANA), now=thursday)
    await every_half_hour(scheduler, sender, start=thursday, end=datetime(2026, 12, 1, 18, tzinfo=UTC))
    (second, _target) = sender.sent[1]
    assert second.title == "Churn model can't go to production yet: 2 blocking gaps."
    assert second.lines[0] == "Budget closed by Dana on Thursday; still open: owner, ROI."
    assert second.people == (SAM,)  # the sponsor can name the owner; with no owner, the ROI falls to the sponsor too


# -- the workspace's zone --------------------------------------------------------------------


async def test_a_workspace_takes_the_zone_of_the_first_person_to_start_a_check(core, scheduler, sender):
    sender.zones["UANA"] = "America/New_York"
    await finished(core)
    asked = []
    real = sender.time_zone

    async def counting(*, workspace, person):
        asked.append((workspace, person))
        return await real(workspace=workspace, person=person)

    sender.time_zone = counting
    await scheduler.nudge_pass(now=MON + timedelta(minutes=1))
    settings = await core.repos.workspaces.settings(platform="slack", workspace="T1")
    assert (settings.tz, settings.tz_source, settings.tz_by) == ("America/New_York", "platform", "Ana")
    await scheduler.nudge_pass(now=WED_10)  # 05:00 in New York: not yet
    assert sender.sent == []
    await scheduler.nudge_pass(now=datetime(2026, 11, 25, 15, tzinfo=UTC))  # 10:00 in New York
    assert kinds(sender) == ["gap"]
    assert asked == [("T1", "UANA")]  # asked once
    shown = await core.preflight.settings_form(admin_actor())
    assert shown.form is not None and "America/New_York: Ana's own time zone" in shown.form.spec.intro


async def test_a_workspace_with_no_known_zone_stays_on_utc_and_says_so(core, scheduler, sender):
    await finished(core)
    await scheduler.nudge_pass(now=MON + timedelta(minutes=1))
    settings = await core.repos.workspaces.settings(platform="slack", workspace="T1")
    assert (settings.tz, settings.tz_source) == ("UTC", "default")
    shown = await core.preflight.settings_form(admin_actor())
    assert "UTC, the default: the chat app did not tell anyone's time zone" in shown.form.spec.intro


# -- dry runs --------------------------------------------------------------------------------


async def test_a_dry_run_reports_what_would_be_sent_and_changes_nothing(core, scheduler, sender, db_url):
    await finished(core)
    await scheduler.digest_pass(now=MON + timedelta(hours=1))  # the sponsor's zone is checked, the first digest scheduled
    before = await snapshot(core)
    report = await scheduler.nudge_pass(now=WED_10, dry_run=True)
    assert [(p.kind.value, p.target.channel, p.notice.title) for p in report.planned] == [
        ("gap", "C1", "Churn model can't go to production yet: 1 blocking gap.")
    ]
    assert report.planned[0].reason.startswith("1 blocking gap open (owner); reminder 1 of at most 6 with no change")
    assert any("Would ask slack for Ana's time zone" in note for note in report.notes)
    digests = await scheduler.digest_pass(now=datetime(2026, 11, 30, 9, tzinfo=UTC), dry_run=True)
    assert [(p.kind.value, p.target.person) for p in digests.planned] == [("digest", "USAM")]
    assert sender.sent == [] and await snapshot(core) == before
    await scheduler.nudge_pass(now=WED_10)  # the real pass still sends it
    assert kinds(sender) == ["gap"]


def admin_actor():
    from conversations.shown import Actor

    async def yes():
        return True

    return Actor(platform="slack", workspace="T1", channel="C1", person=SAM, is_admin=yes)


async def snapshot(core):
    """Every row of every table, to compare before and after."""
    from sqlalchemy import MetaData, select

    async with core.engine.connect() as conn:
        meta = MetaData()
        await conn.run_sync(meta.reflect)
        return {name: [tuple(r) for r in (await conn.execute(select(t))).all()] for name, t in sorted(meta.tables.items())}


async def test_an_unfinished_assessment_gets_a_channel_reminder_to_carry_on(core, scheduler, sender):
    place = Place(platform="slack", workspace="T1", channel="C1", thread="1.0")
    aid = (await core.preflight.turns.start(place=place, project="Fraud model", by=ANA, now=MON)).id
    await handle(core, assessment_id=aid, event=events.Submit(question="data", values={"choice": "ready"}, by=ANA), now=MON)
    await scheduler.nudge_pass(now=MON + timedelta(hours=23))
    assert sender.sent == []
    await scheduler.nudge_pass(now=MON + timedelta(hours=24))
    ((notice, _target),) = sender.sent
    assert notice.kind == "stalled" and notice.title == "Fraud model is waiting: 1 of 8 answered."
    assert [a.words for a in notice.actions] == ["resume", "snooze 7"]


async def test_two_passes_at_once_send_each_reminder_once(core, sender, scheduler):
    ids = [await finished(core, project=f"Project {i}", channel=f"C{i}") for i in range(30)]
    other = Scheduler(deliveries=core.repos.deliveries, workspaces=core.repos.workspaces, inbox=core.repos.inbox, senders={"slack": sender})
    await asyncio.gather(scheduler.nudge_pass(now=WED_10), other.nudge_pass(now=WED_10), scheduler.nudge_pass(now=WED_10))
    assert sorted(n.assessment_id for n, _ in sender.sent) == sorted(ids)
    assert {r.status for r in await core.repos.deliveries.outbox()} == {"sent"}


async def test_a_failed_send_is_retried_with_backoff_and_then_marked(core, scheduler, sender):
    await finished(core)
    sender.answers = [Sent(ok=False, retry_after=120, error="ratelimited")]
    report = await scheduler.nudge_pass(now=WED_10)
    assert (report.sent, report.retrying) == (0, 1)
    (row,) = await core.repos.deliveries.outbox()
    assert (row.status, row.attempts, row.error, row.next_attempt_at) == ("pending", 1, "ratelimited", WED_10 + timedelta(seconds=120))
    await scheduler.deliver(now=WED_10 + timedelta(seconds=60))
    assert len(sender.sent) == 1  # not yet
    await scheduler.deliver(now=WED_10 + timedelta(seconds=121))
    (row,) = await core.repos.deliveries.outbox()
    assert (row.status, row.attempts, len(sender.sent)) == ("sent", 2, 2)


async def test_a_send_that_keeps_failing_is_given_up_on(core, scheduler, sender):
    await finished(core)
    sender.answers = [Sent(ok=False, error="internal_error")] * MAX_ATTEMPTS
    now = WED_10
    await scheduler.nudge_pass(now=now)
    for _ in range(MAX_ATTEMPTS + 2):
        now += timedelta(hours=2)
        await scheduler.deliver(now=now)
    (row,) = await core.repos.deliveries.outbox()
    assert row.status == "failed" and row.error == f"gave up after {MAX_ATTEMPTS} attempts: internal_error"
    assert len(sender.sent) == MAX_ATTEMPTS


async def test_a_permanent_failure_is_marked_with_its_reason_and_not_retried(core, scheduler, sender):
    await finished(core)
    sender.answers = [Sent(ok=False, permanent="not_in_channel")]
    report = await scheduler.nudge_pass(now=WED_10)
    assert report.failed == 1 and "not_in_channel" in report.errors[0]
    await scheduler.deliver(now=WED_10 + timedelta(days=1))
    (row,) = await core.repos.deliveries.outbox()
    assert (row.status, row.error, len(sender.sent)) == ("failed", "not_in_channel", 1)


async def test_a_pass_is_a_handful_of_statements_however_many_are_due(core, scheduler, sender):
    for i in range(40):
        await finished(core, project=f"Project {i}", channel=f"C{i}")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(core.database.sync_engine, "before_cursor_execute", listener)
    try:
        report = await scheduler.nudge_pass(now=WED_10)
    finally:
        sa_event.remove(core.database.sync_engine, "before_cursor_execute", listener)
    assert report.sent == 40
    # Planning is a handful whatever the number due; each send is recorded as it happens (one
    # statement), so a pass that dies never sends again what it had sent; one claim per small batch.
    claims = report.sent // SEND_BATCH + 1
    assert len(statements) <= 10 + report.sent + claims, statements


# -- digests ---------------------------------------------------------------------------


async def test_the_digest_comes_monday_nine_in_the_sponsors_zone(core, scheduler, sender):
    sender.zones["USAM"] = "America/New_York"
    await finished(core, project="Churn model")
    await finished(
        core,
        project="Fraud model",
        answers={**FULL, "ownership": {"owner": {"id": "UDANA", "name": "Dana"}, "budget": "1 EUR", "time": "x"}},
    )
    await scheduler.digest_pass(now=MON + timedelta(hours=1))  # a new sponsor: only scheduled
    assert sender.sent == []
    monday = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 09:00 in New York
    await scheduler.digest_pass(now=monday - timedelta(minutes=1))
    assert sender.sent == []
    await scheduler.digest_pass(now=monday)
    await scheduler.digest_pass(now=monday + timedelta(hours=1))
    ((notice, target),) = sender.sent
    assert (notice.kind, target.person, target.channel) == ("digest", "USAM", None)
    assert notice.title == "Your weekly AI readiness digest: 2 projects, 1 with blocking gaps."
    churn, fraud = notice.lines
    assert churn.startswith("Churn model: 94% · Ready for production (new this week)")
    assert "Open gaps: no production owner (open 6 days)" in churn and "Next: name the production owner." in churn
    assert fraud.startswith("Fraud model: 100%") and "No blocking gaps" in fraud
    (row,) = await core.repos.deliveries.outbox()
    assert row.key.startswith("digest:") and row.key.endswith(":2026-W49")


async def test_the_next_digest_shows_the_change(core, scheduler, sender):
    aid = await finished(core)
    await scheduler.digest_pass(now=MON + timedelta(hours=1))
    await scheduler.digest_pass(now=datetime(2026, 11, 30, 9, tzinfo=UTC))
    await handle(core, assessment_id=aid, event=events.SetOwner(person=DANA, by=ANA), now=datetime(2026, 12, 2, tzinfo=UTC))
    await scheduler.digest_pass(now=datetime(2026, 12, 7, 9, tzinfo=UTC))
    first, second = (n for n, _ in sender.sent)
    assert "(new this week)" in first.lines[0]
    assert "Churn model: 100% · Ready for production (+6 points since the last digest)" in second.lines[0]


async def test_a_missed_digest_goes_out_once_and_no_projects_means_no_digest(core, scheduler, sender):
    aid = await finished(core)
    await scheduler.digest_pass(now=MON + timedelta(hours=1))
    await scheduler.digest_pass(now=datetime(2026, 12, 16, 12, tzinfo=UTC))  # two Mondays missed
    await scheduler.digest_pass(now=datetime(2026, 12, 16, 13, tzinfo=UTC))
    assert kinds(sender) == ["digest"]
    await handle(core, assessment_id=aid, event=events.SetSponsor(person=DANA, by=ANA), now=datetime(2026, 12, 17, tzinfo=UTC))
    await scheduler.digest_pass(now=datetime(2026, 12, 21, 9, tzinfo=UTC))  # Sam sponsors nothing now
    assert kinds(sender) == ["digest"]


async def remembered(core, key: str, *, done_at: datetime) -> bool:
    """Store a request and finish it at `done_at`; whether its key was new."""
    inbox = core.repos.inbox
    claimed = await inbox.put(
        item=Incoming(key=key, platform="slack", workspace="T1", payload={}), now=done_at, owner="w", lease=timedelta(minutes=1)
    )
    if claimed is not None:
        await inbox.done(id=claimed.id, owner="w", now=done_at)
    return claimed is not None


async def test_the_loop_runs_both_passes_and_forgets_old_requests(core, scheduler, sender):
    await finished(core)
    await remembered(core, "evt:old", done_at=WED_10 - timedelta(days=2))
    await remembered(core, "evt:new", done_at=WED_10 - timedelta(minutes=1))
    stop = asyncio.Event()
    loop = asyncio.create_task(scheduler.run_forever(clock=lambda: WED_10, stop=stop, every=0.05))
    for _ in range(100):
        if sender.sent:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert kinds(sender) == ["gap"]
    assert await remembered(core, "evt:old", done_at=WED_10) is True  # forgotten
    assert await remembered(core, "evt:new", done_at=WED_10) is False  # still remembered


async def test_two_messages_to_one_conversation_are_paced_and_others_are_not(core, scheduler, sender):
    """Slack allows about one message a second per channel: a digest and a nudge for one channel wait their turn."""

    def outgoing(n: int, channel: str) -> Outgoing:
        return Outgoing(n, f"k{n}", "slack", Target("slack", "T1", channel=channel), Notice(kind="nudge", title="t"), 0)

    report = Report()
    began = clock.monotonic()
    await scheduler._send(outgoing(1, "C1"), now=MON, report=report)
    await scheduler._send(outgoing(2, "C2"), now=MON, report=report)
    other_channel = clock.monotonic() - began
    await scheduler._send(outgoing(3, "C1"), now=MON, report=report)
    same_channel = clock.monotonic() - began
    assert report.sent == 3 and len(sender.sent) == 3
    assert other_channel < PACE / 2 <= PACE <= same_channel + 0.01
