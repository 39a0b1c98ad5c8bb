"""The schedule, table-driven: time zones, daylight saving, weekends, hours, snooze, escalation, digests."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.digest import plan_digest
from conversations.machine import State
from conversations.people import Person
from conversations.ports import DueSponsor, Project
from conversations.schedule import (
    Due,
    Facts,
    Kind,
    Settings,
    after_sending,
    business_days_between,
    next_digest,
    next_reminder,
    reminders_due,
)

BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


def at(tz, *args):
    return datetime(*args, tzinfo=tz)


def gap_facts(last_activity, **kw):
    return Facts(finished=True, gaps=("owner",), last_activity=last_activity, **kw)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"])
@pytest.mark.parametrize(
    "local, due",
    [
        ((2026, 11, 25, 9, 59), False),  # Wednesday, a minute early
        ((2026, 11, 25, 10, 0), True),
        ((2026, 11, 25, 17, 59), True),  # a late pass still sends, inside working hours
        ((2026, 11, 25, 18, 0), False),  # after hours
        ((2026, 11, 28, 10, 0), False),  # Saturday
        ((2026, 11, 29, 10, 0), False),  # Sunday
    ],
)
def test_a_gap_nudge_is_due_at_ten_local_on_working_days_only(tz, local, due):
    zone = ZoneInfo(tz)
    facts = gap_facts(at(zone, 2026, 11, 23, 15, 0))  # finished Monday afternoon, owner missing
    now = at(zone, *local)
    assert bool(reminders_due(facts, Settings(tz=tz), now=now)) is due


def test_the_same_moment_is_due_in_one_zone_and_not_in_another():
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 10:30 in Berlin, 04:30 in New York, 18:30 in Tokyo
    facts = gap_facts(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    assert reminders_due(facts, Settings(tz="Europe/Berlin"), now=now) == [Due(Kind.GAP, "2026-11-25")]
    assert reminders_due(facts, Settings(tz="America/New_York"), now=now) == []
    assert reminders_due(facts, Settings(tz="Asia/Tokyo"), now=now) == []
    assert next_reminder(facts, Settings(tz="America/New_York"), after=now) == at(NEW_YORK, 2026, 11, 25, 10, 0)
    assert next_reminder(facts, Settings(tz="Asia/Tokyo"), after=now) == at(TOKYO, 2026, 11, 26, 10, 0)


@pytest.mark.parametrize(
    "reminded, next_slot",
    [
        (at(BERLIN, 2026, 11, 23, 10, 0), at(BERLIN, 2026, 11, 25, 10, 0)),  # Monday -> Wednesday
        (at(BERLIN, 2026, 11, 26, 10, 0), at(BERLIN, 2026, 11, 30, 10, 0)),  # Thursday -> Monday
        (at(BERLIN, 2026, 11, 27, 10, 0), at(BERLIN, 2026, 12, 1, 10, 0)),  # Friday -> Tuesday
    ],
)
def test_nudges_come_every_two_business_days(reminded, next_slot):
    facts = gap_facts(at(BERLIN, 2026, 11, 20, 12, 0), last_reminded=reminded, reminders_since_change=1)
    assert next_reminder(facts, Settings(tz="Europe/Berlin"), after=reminded) == next_slot


def test_daylight_saving_keeps_ten_local():
    # Berlin leaves summer time on Sunday 25 October 2026: 10:00 is 08:00 UTC before, 09:00 UTC after.
    facts = gap_facts(at(BERLIN, 2026, 10, 20, 12, 0), last_reminded=at(BERLIN, 2026, 10, 22, 10, 0), reminders_since_change=1)
    friday = next_reminder(facts, Settings(tz="Europe/Berlin"), after=at(BERLIN, 2026, 10, 22, 10, 0))
    assert friday.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # Monday, after the change
    new_york = gap_facts(at(NEW_YORK, 2026, 10, 28, 12, 0))
    slot = next_reminder(new_york, Settings(tz="America/New_York"), after=at(NEW_YORK, 2026, 10, 31, 12, 0))
    assert slot == at(NEW_YORK, 2026, 11, 2, 10, 0) and slot.astimezone(UTC).hour == 15  # EST, UTC-5


def test_a_late_pass_sends_once_and_the_next_slot_is_two_business_days_on():
    settings = Settings(tz="Europe/Berlin")
    facts = gap_facts(at(BERLIN, 2026, 11, 16, 12, 0))
    late = at(BERLIN, 2026, 11, 25, 16, 30)  # the scheduler was down for a week
    due = reminders_due(facts, settings, now=late)
    assert due == [Due(Kind.GAP, "2026-11-25")]
    sent = after_sending(facts, due, now=late)
    assert reminders_due(sent, settings, now=late + timedelta(minutes=1)) == []
    assert next_reminder(sent, settings, after=late) == at(BERLIN, 2026, 11, 27, 10, 0)


def test_snooze_holds_reminders_until_it_ends():
    settings = Settings(tz="Europe/Berlin")
    facts = gap_facts(at(BERLIN, 2026, 11, 20, 12, 0), snoozed_until=at(BERLIN, 2026, 12, 2, 15, 0))
    assert reminders_due(facts, settings, now=at(BERLIN, 2026, 11, 25, 10, 0)) == []
    assert next_reminder(facts, settings, after=at(BERLIN, 2026, 11, 25, 10, 0)) == at(BERLIN, 2026, 12, 2, 15, 0)
    late_snooze = replace(facts, snoozed_until=at(BERLIN, 2026, 12, 4, 19, 0))  # ends Friday evening
    assert next_reminder(late_snooze, settings, after=at(BERLIN, 2026, 11, 25)) == at(BERLIN, 2026, 12, 7, 10, 0)


def test_closing_the_gaps_stops_the_nudges():
    facts = replace(gap_facts(at(BERLIN, 2026, 11, 20, 12, 0)), gaps=())
    assert next_reminder(facts, Settings(tz="Europe/Berlin"), after=at(BERLIN, 2026, 11, 25, 10, 0)) is None
    assert reminders_due(facts, Settings(tz="Europe/Berlin"), now=at(BERLIN, 2026, 11, 25, 10, 0)) == []


def test_an_unfinished_assessment_is_reminded_once_it_has_stalled_a_day():
    settings = Settings(tz="Europe/Berlin")
    facts = Facts(finished=False, gaps=("owner", "budget", "roi"), last_activity=at(BERLIN, 2026, 11, 23, 14, 0))
    assert reminders_due(facts, settings, now=at(BERLIN, 2026, 11, 24, 13, 59)) == []
    assert reminders_due(facts, settings, now=at(BERLIN, 2026, 11, 24, 14, 0)) == [Due(Kind.STALLED, "2026-11-24")]
    friday = replace(facts, last_activity=at(BERLIN, 2026, 11, 27, 16, 0))
    assert next_reminder(friday, settings, after=at(BERLIN, 2026, 11, 27, 16, 0)) == at(BERLIN, 2026, 11, 30, 10, 0)


def test_the_sponsor_hears_after_three_unchanged_nudges_once():
    settings = Settings(tz="Europe/Berlin")
    facts = gap_facts(at(BERLIN, 2026, 11, 2, 12, 0), has_sponsor=True)
    now = at(BERLIN, 2026, 11, 4, 10, 0)
    kinds = []
    for _ in range(6):
        slot = next_reminder(facts, settings, after=now)
        due = reminders_due(facts, settings, now=slot)
        kinds.append([d.kind for d in due])
        facts, now = after_sending(facts, due, now=slot), slot
    assert kinds == [[Kind.GAP]] * 3 + [[Kind.GAP, Kind.ESCALATION]] + [[Kind.GAP]] * 2


def test_a_change_restarts_the_count_and_no_sponsor_means_no_escalation():
    settings = Settings(tz="UTC")
    reminded = datetime(2026, 11, 23, 10, tzinfo=UTC)
    streak = gap_facts(
        datetime(2026, 11, 2, tzinfo=UTC), has_sponsor=True, last_reminded=reminded, reminders_since_change=3, escalated=True
    )
    assert streak.escalation_sent
    changed = replace(streak, last_activity=reminded + timedelta(hours=1))
    assert changed.unchanged_reminders == 0 and not changed.escalation_sent
    lonely = replace(streak, has_sponsor=False, escalated=False)
    assert reminders_due(lonely, settings, now=datetime(2026, 11, 25, 10, tzinfo=UTC)) == []  # weekly after three
    assert [d.kind for d in reminders_due(lonely, settings, now=datetime(2026, 11, 30, 10, tzinfo=UTC))] == [Kind.GAP]


@pytest.mark.parametrize(
    "start, end, days",
    [
        ("2026-11-23", "2026-11-25", 2),
        ("2026-11-27", "2026-11-30", 1),
        ("2026-11-27", "2026-12-07", 6),
        ("2026-11-25", "2026-11-25", 0),
        ("2026-11-28", "2026-11-29", 0),
    ],
)
def test_business_days(start, end, days):
    from datetime import date

    assert business_days_between(date.fromisoformat(start), date.fromisoformat(end)) == days


@pytest.mark.parametrize(
    "tz, expected_utc",
    [
        ("America/New_York", datetime(2026, 11, 30, 14, 0, tzinfo=UTC)),
        ("Asia/Tokyo", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
        (None, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),  # unknown: the workspace's zone
    ],
)
def test_the_digest_is_monday_nine_in_the_sponsors_own_zone(tz, expected_utc):
    after = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert next_digest(Settings(tz="UTC"), tz=tz, after=after) == expected_utc


def test_the_digest_slot_moves_with_daylight_saving():
    # New York: Monday 26 October is still summer time (UTC-4); Monday 2 November is not (UTC-5).
    first = next_digest(Settings(), tz="America/New_York", after=datetime(2026, 10, 21, tzinfo=UTC))
    second = next_digest(Settings(), tz="America/New_York", after=first)
    assert (first.astimezone(UTC).hour, second.astimezone(UTC).hour) == (13, 14)


def sponsor(*, checked: datetime | None = datetime(2026, 11, 2, tzinfo=UTC)) -> DueSponsor:
    return DueSponsor(
        id=7,
        external_id="USAM",
        name="Sam",
        tz="UTC",
        tz_checked_at=checked,
        platform="slack",
        workspace="T1",
        workspace_id=1,
        settings=Settings(),
    )


def project(now: datetime, *, pid: int = 3) -> Project:
    state = State(project="Churn model", started_by=Person(name="Ana", id="UANA"), started_at=now)
    return Project(id=pid, state=state, last_activity=now, gaps_since={}, previous_total=None)


def test_a_missed_digest_goes_out_once():
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)  # two Mondays missed
    plan = plan_digest(sponsor(), [project(now)], tz="UTC", now=now)
    assert plan.planned is not None and plan.planned.key == "digest:7:2026-W48" and plan.planned.target.person == "USAM"
    assert plan.next_at == datetime(2026, 11, 30, 9, tzinfo=UTC) == next_digest(Settings(), tz="UTC", after=now)
    assert plan.digested == {3: 0.0}


def test_a_new_sponsor_waits_for_the_next_slot_and_one_with_nothing_gets_no_digest():
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    new = plan_digest(sponsor(checked=None), [project(now)], tz="UTC", now=now)
    assert new.planned is None and new.next_at == datetime(2026, 11, 30, 9, tzinfo=UTC)
    idle = plan_digest(sponsor(), [], tz="UTC", now=now)
    assert idle.planned is None and idle.next_at is None


def test_custom_settings():
    settings = Settings(tz="UTC", nudge_every=1, nudge_at=time(14, 30), work_end=time(16, 0))
    facts = gap_facts(datetime(2026, 11, 23, 9, tzinfo=UTC))
    assert next_reminder(facts, settings, after=datetime(2026, 11, 23, 9, tzinfo=UTC)) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert Due(Kind.GAP, "2026-11-24").key(7) == "gap:7:2026-11-24"


# -- back-off: weekly after three with no change, none in the channel after the cap ---------------


def passes(facts, settings, *, start, end, every=timedelta(minutes=30)):
    """A pass every half hour from `start` to `end`: the facts afterwards, and when each reminder went out."""
    sent, now = [], start
    while now <= end:
        due = reminders_due(facts, settings, now=now)
        if due:
            sent.append((now, [d.kind for d in due]))
            facts = after_sending(facts, due, now=now)
        now += every
    return facts, sent


def days(sent):
    return [f"{when:%a %d %b}" for when, _ in sent]


def test_two_and_a_half_weeks_of_passes_give_four_reminders_not_seven():
    found = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday afternoon: finished with the owner missing
    _, sent = passes(gap_facts(found, has_sponsor=True), Settings(), start=found, end=datetime(2026, 12, 10, 18, tzinfo=UTC))
    # every two business days for three, then weekly (the escalation rides with the fourth)
    assert days(sent) == ["Wed 25 Nov", "Fri 27 Nov", "Tue 01 Dec", "Tue 08 Dec"]
    assert [kinds for _, kinds in sent][3] == [Kind.GAP, Kind.ESCALATION]


def test_after_the_cap_the_channel_hears_no_more_until_the_check_changes():
    found = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    settings = Settings()
    facts, sent = passes(gap_facts(found), settings, start=found, end=datetime(2027, 2, 26, tzinfo=UTC))
    assert days(sent) == ["Wed 25 Nov", "Fri 27 Nov", "Tue 01 Dec", "Tue 08 Dec", "Tue 15 Dec", "Tue 22 Dec"]
    assert facts.unchanged_reminders == settings.stop_after == 6
    assert next_reminder(facts, settings, after=datetime(2027, 3, 1, tzinfo=UTC)) is None
    # Someone answers on Wednesday 3 March: the back-off starts again, two business days on.
    changed = replace(facts, last_activity=datetime(2027, 3, 3, 11, tzinfo=UTC))
    assert changed.unchanged_reminders == 0
    _, again = passes(changed, settings, start=datetime(2027, 3, 3, 11, tzinfo=UTC), end=datetime(2027, 3, 12, tzinfo=UTC))
    assert days(again) == ["Fri 05 Mar", "Tue 09 Mar", "Thu 11 Mar"]


def test_the_cap_is_a_workspace_setting():
    found = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    _, sent = passes(gap_facts(found), Settings(stop_after=4), start=found, end=datetime(2027, 1, 29, tzinfo=UTC))
    assert len(sent) == 4
    _, daily = passes(gap_facts(found), Settings(nudge_every=1, stop_after=3), start=found, end=datetime(2027, 1, 29, tzinfo=UTC))
    assert days(daily) == ["Tue 24 Nov", "Wed 25 Nov", "Thu 26 Nov"]


def test_an_unfinished_check_backs_off_the_same_way():
    stalled = Facts(finished=False, gaps=("owner", "budget", "roi"), last_activity=datetime(2026, 11, 23, 14, tzinfo=UTC))
    _, sent = passes(stalled, Settings(), start=stalled.last_activity, end=datetime(2027, 1, 29, tzinfo=UTC))
    assert days(sent) == ["Tue 24 Nov", "Thu 26 Nov", "Mon 30 Nov", "Mon 07 Dec", "Mon 14 Dec", "Mon 21 Dec"]
    assert {tuple(kinds) for _, kinds in sent} == {(Kind.STALLED,)}


def test_the_facts_after_a_reminder_remember_the_gaps_it_named():
    facts = replace(gap_facts(datetime(2026, 11, 23, 15, tzinfo=UTC)), gaps=("owner", "roi"))
    sent = after_sending(facts, [Due(Kind.GAP, "2026-11-25")], now=datetime(2026, 11, 25, 10, tzinfo=UTC))
    assert sent.reminded_gaps == ("owner", "roi") and sent.unchanged_reminders == 1
