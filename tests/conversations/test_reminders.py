"""What reminders say: what changed since the last one (or that nothing did), who can close each gap, and the back-off."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from conversations.people import Person
from conversations.reminders import Candidate, Target, Touched, day_name, plan
from conversations.schedule import Facts, Kind, Settings

ANA, SAM, OLA = Person(name="Ana", id="UANA"), Person(name="Sam", id="USAM"), Person(name="Ola", id="UOLA")
TUE_10 = datetime(2026, 12, 1, 10, tzinfo=UTC)
THU_10 = datetime(2026, 12, 3, 10, tzinfo=UTC)


def candidate(facts: Facts, *, sponsor=SAM, owner=OLA, touched=(), settings=Settings(), answered=8) -> Candidate:
    return Candidate(
        id=7,
        workspace_id=1,
        project="Churn model",
        facts=facts,
        settings=settings,
        target=Target(platform="slack", workspace="T1", channel="C1", thread="1.0"),
        answered=answered,
        position=answered + 1,
        started_by=ANA,
        owner=owner,
        sponsor=sponsor,
        touched=tuple(touched),
    )


def gap_reminder(c: Candidate, *, now=THU_10):
    planned, _ = plan(c, now=now)
    (gap,) = [p for p in planned if p.kind is Kind.GAP]
    return gap.notice


def test_the_first_reminder_names_who_can_close_each_gap_and_nothing_else():
    facts = Facts(finished=True, gaps=("owner", "budget", "roi"), last_activity=datetime(2026, 11, 23, 15, tzinfo=UTC))
    notice = gap_reminder(candidate(facts, owner=None), now=datetime(2026, 11, 25, 10, tzinfo=UTC))
    assert notice.title == "Churn model can't go to production yet: 3 blocking gaps."
    assert notice.lines == (
        "No production owner: Sam, can you name the production owner?",
        "No production budget: Sam, can you secure a production budget?",
        "No measurable success metric (roi): Sam, can you put a measurable target and a date on the success metric?",
    )
    assert notice.people == (SAM,)
    with_owner = gap_reminder(candidate(replace(facts, gaps=("roi",))), now=datetime(2026, 11, 25, 10, tzinfo=UTC))
    assert with_owner.lines == (
        "No measurable success metric (roi): Ola, can you put a measurable target and a date on the success metric?",
    )
    nobody = gap_reminder(candidate(replace(facts, gaps=("roi",)), sponsor=None, owner=None), now=datetime(2026, 11, 25, 10, tzinfo=UTC))
    assert nobody.people == (ANA,) and "Ana, can you" in nobody.lines[0]  # the one who started it


def test_a_reminder_says_which_gap_closed_by_whom_and_what_is_still_open():
    facts = Facts(
        finished=True,
        gaps=("owner", "roi"),
        last_activity=datetime(2026, 12, 1, 15, tzinfo=UTC),
        last_reminded=datetime(2026, 11, 27, 10, tzinfo=UTC),
        reminders_since_change=2,
        reminded_gaps=("owner", "budget", "roi"),
    )
    touched = [Touched("ownership", ANA, datetime(2026, 12, 1, 15, tzinfo=UTC))]
    notice = gap_reminder(candidate(facts, owner=None, touched=touched))
    assert notice.lines[0] == "Budget closed by Ana on Tuesday; still open: owner, ROI."
    assert notice.lines[1:] == (
        "No production owner: Sam, can you name the production owner?",
        "No measurable success metric (roi): Sam, can you put a measurable target and a date on the success metric?",
    )


def test_other_answers_are_counted_and_a_reopened_gap_is_named():
    facts = Facts(
        finished=True,
        gaps=("budget",),
        last_activity=datetime(2026, 12, 3, 9, tzinfo=UTC),
        last_reminded=datetime(2026, 12, 1, 10, tzinfo=UTC),
        reminders_since_change=1,
        reminded_gaps=("roi",),
    )
    touched = [
        Touched("roi", OLA, datetime(2026, 12, 2, 11, tzinfo=UTC)),
        Touched("ownership", SAM, datetime(2026, 12, 3, 9, tzinfo=UTC)),
        Touched("skills", ANA, datetime(2026, 12, 3, 9, tzinfo=UTC)),
    ]
    notice = gap_reminder(candidate(facts, touched=touched), now=datetime(2026, 12, 7, 10, tzinfo=UTC))
    assert notice.lines[0] == (
        "ROI closed by Ola on Wednesday; Budget reopened by Sam on Thursday; Ana answered Skills gap on Thursday; still open: budget."
    )


def test_a_reminder_says_when_nothing_changed():
    facts = Facts(
        finished=True,
        gaps=("owner",),
        last_activity=datetime(2026, 11, 23, 15, tzinfo=UTC),
        last_reminded=TUE_10,
        reminders_since_change=1,
        reminded_gaps=("owner",),
    )
    notice = gap_reminder(candidate(facts, owner=None))
    assert notice.lines == (
        "Nothing has changed since the last reminder on Tuesday.",
        "No production owner: Sam, can you name the production owner?",
    )


def test_the_third_unanswered_reminder_says_they_go_weekly_and_the_last_hands_over_to_the_digest():
    base = Facts(
        finished=True,
        gaps=("owner",),
        last_activity=datetime(2026, 11, 2, 15, tzinfo=UTC),
        last_reminded=TUE_10,
        reminded_gaps=("owner",),
    )
    third = gap_reminder(candidate(replace(base, reminders_since_change=2), owner=None))
    assert third.lines[-1] == "3 reminders with no change: from now on, one a week."
    last_at = TUE_10 + timedelta(days=7)
    last = gap_reminder(candidate(replace(base, reminders_since_change=5), owner=None), now=last_at)
    assert last.lines[0] == "Nothing has changed since the last reminder on 1 December."
    assert last.lines[-1] == (
        "This is the last reminder here: 6 with no change. Sam keeps seeing it in their weekly digest. "
        "Any change to the check starts them again."
    )
    _, rescheduled = plan(candidate(replace(base, reminders_since_change=5), owner=None), now=last_at)
    assert rescheduled.next_at is None  # left to the digest
    unsponsored = gap_reminder(candidate(replace(base, reminders_since_change=5), sponsor=None, owner=None), now=last_at)
    assert "Name a sponsor so that it stays in someone's weekly digest." in unsponsored.lines[-1]
    fourth = gap_reminder(candidate(replace(base, reminders_since_change=3, escalated=True), owner=None), now=last_at)
    assert fourth.lines[-1] == "No production owner: Sam, can you name the production owner?"  # nothing to add


def test_an_unfinished_check_names_who_started_it_and_what_was_answered_since():
    facts = Facts(
        finished=False,
        gaps=("owner", "budget", "roi"),
        last_activity=datetime(2026, 12, 2, 16, tzinfo=UTC),
        last_reminded=TUE_10,
        reminders_since_change=1,
    )
    touched = [Touched("data", ANA, datetime(2026, 12, 2, 15, tzinfo=UTC)), Touched("process", ANA, datetime(2026, 12, 2, 16, tzinfo=UTC))]
    planned, _ = plan(candidate(facts, touched=touched, answered=2), now=THU_10 + timedelta(days=1))
    (stalled,) = planned
    assert stalled.notice.title == "Churn model is waiting: 2 of 8 answered."
    assert stalled.notice.lines == ("Ana answered 2 questions on Wednesday.", "Ana, question 3 is next. It takes a few minutes to finish.")
    assert stalled.reason.startswith("unfinished, 2 of 8 answered; reminder 1 of at most 6 with no change, every 2 business days")


def test_days_are_named_in_the_workspace_zone():
    from zoneinfo import ZoneInfo

    now = datetime(2026, 12, 3, 10, tzinfo=UTC)
    assert day_name(datetime(2026, 12, 2, 23, 30, tzinfo=UTC), now=now, tz=ZoneInfo("UTC")) == "yesterday"
    assert day_name(datetime(2026, 12, 2, 23, 30, tzinfo=UTC), now=now, tz=ZoneInfo("Asia/Tokyo")) == "today"
    assert day_name(datetime(2026, 11, 30, 9, tzinfo=UTC), now=now, tz=ZoneInfo("UTC")) == "Monday"
    assert day_name(datetime(2026, 11, 20, 9, tzinfo=UTC), now=now, tz=ZoneInfo("UTC")) == "20 November"
