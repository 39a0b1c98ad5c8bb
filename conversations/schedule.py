"""Which reminders and digests are due at a given time: pure functions of (facts, settings, now).

A reminder slot is a working day, at or after the nudge time and before the end of the
working day, in the workspace's time zone. Gap nudges come every `nudge_every` business
days, counted from the later of the last activity and the last reminder; unfinished
assessments get a "carry on" reminder once they have stalled for `stall_after`, then on the
same cadence. Reminders back off: after `WEEKLY_AFTER` with no change they come weekly, and
after `stop_after` the channel hears no more (the sponsor's weekly digest keeps the check in
view); any change to the check starts the count again. After `escalate_after` reminders with no
change, the sponsor hears about it. A pass that runs late sends one reminder, not one per missed
slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOOKAHEAD_DAYS = 31
WEEKLY_AFTER = 3  # reminders with no change before they come weekly
WEEKLY = 5  # business days: the same weekday a week later
STOP_AFTER = 6  # the default cap: reminders with no change before the channel is left alone


class Kind(str, Enum):
    GAP = "gap"  # a blocking gap is open: posted in the assessment's thread
    STALLED = "stalled"  # the assessment is unfinished: posted in the channel
    ESCALATION = "escalation"  # reminders changed nothing: a direct message to the sponsor
    DIGEST = "digest"  # the weekly digest: a direct message to a sponsor


@dataclass(frozen=True)
class Settings:
    """Per-workspace settings; the defaults are what a team gets without touching anything."""

    tz: str = "UTC"
    nudge_every: int = 2  # business days
    nudge_at: time = time(10, 0)
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    stall_after: timedelta = timedelta(days=1)
    escalate_after: int = 3
    digest_weekday: int = 0  # Monday
    digest_at: time = time(9, 0)
    stop_after: int = STOP_AFTER
    tz_source: str | None = None  # where `tz` came from: None (never looked for), "default", "platform" or "settings"
    tz_by: str | None = None  # whose profile or client the zone came from, or the admin who chose it

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.tz)


def zone(name: str | None) -> ZoneInfo:
    """A time zone by IANA name; UTC for a name that is missing or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Facts:
    """What the schedule needs to know about one assessment."""

    finished: bool
    gaps: tuple[str, ...]
    last_activity: datetime
    has_sponsor: bool = False
    snoozed_until: datetime | None = None
    last_reminded: datetime | None = None
    reminders_since_change: int = 0
    escalated: bool = False
    reminded_gaps: tuple[str, ...] = ()  # the blocking gaps the last reminder named

    @property
    def kind(self) -> Kind | None:
        if not self.finished:
            return Kind.STALLED
        return Kind.GAP if self.gaps else None

    @property
    def reminded_since_activity(self) -> bool:
        return self.last_reminded is not None and self.last_reminded >= self.last_activity

    @property
    def escalation_sent(self) -> bool:
        """The sponsor already heard about this streak of unanswered reminders."""
        return self.escalated and self.reminded_since_activity

    @property
    def unchanged_reminders(self) -> int:
        """Reminders sent since the last change; a change starts the count again."""
        return self.reminders_since_change if self.reminded_since_activity else 0


@dataclass(frozen=True)
class Due:
    kind: Kind
    period: str  # the local date (or ISO week, for digests) the delivery belongs to

    def key(self, subject: str | int) -> str:
        """The unique delivery key: one delivery per subject, kind and period."""
        return f"{self.kind.value}:{subject}:{self.period}"


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def business_days_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * 5
    for i in range(1, extra + 1):
        if is_working_day(start + timedelta(days=weeks * 7 + i)):
            count += 1
    return count


def next_reminder(facts: Facts, settings: Settings, *, after: datetime) -> datetime | None:
    """The earliest moment at or after `after` when a reminder is due; None when none ever will be."""
    kind = facts.kind
    if kind is None or facts.unchanged_reminders >= settings.stop_after:
        return None  # nothing to remind about, or left to the sponsor's digest until something changes
    tz = settings.zone
    every = settings.nudge_every if facts.unchanged_reminders < WEEKLY_AFTER else max(settings.nudge_every, WEEKLY)
    now = after.astimezone(tz)
    floors = [now]
    if facts.snoozed_until is not None:
        floors.append(facts.snoozed_until.astimezone(tz))
    if kind is Kind.STALLED:
        floors.append((facts.last_activity + settings.stall_after).astimezone(tz))
    floor = max(floors)
    reference = _cadence_reference(facts, kind)
    start_day = floor.date()
    for offset in range(LOOKAHEAD_DAYS):
        day = start_day + timedelta(days=offset)
        if not is_working_day(day):
            continue
        if reference is not None and business_days_between(reference.astimezone(tz).date(), day) < every:
            continue
        opens = datetime.combine(day, max(settings.nudge_at, settings.work_start), tzinfo=tz)
        candidate = max(opens, floor)
        if candidate.date() == day and candidate.timetz().replace(tzinfo=None) < settings.work_end:
            return candidate
    return None


def _cadence_reference(facts: Facts, kind: Kind) -> datetime | None:
    """What the business-day cadence counts from."""
    if kind is Kind.GAP:
        return max(facts.last_activity, facts.last_reminded or facts.last_activity)
    return facts.last_reminded if facts.reminded_since_activity else None


def reminders_due(facts: Facts, settings: Settings, *, now: datetime) -> list[Due]:
    """The reminders to send for one assessment at `now` (empty outside a slot)."""
    slot = next_reminder(facts, settings, after=now)
    if slot is None or slot > now:
        return []
    period = now.astimezone(settings.zone).date().isoformat()
    kind = facts.kind
    assert kind is not None
    due = [Due(kind, period)]
    if facts.has_sponsor and not facts.escalation_sent and facts.unchanged_reminders >= settings.escalate_after:
        due.append(Due(Kind.ESCALATION, period))
    return due


def after_sending(facts: Facts, due: list[Due], *, now: datetime) -> Facts:
    """The facts once the due reminders have gone out."""
    if not due:
        return facts
    escalated = facts.escalation_sent or any(d.kind is Kind.ESCALATION for d in due)
    return Facts(
        finished=facts.finished,
        gaps=facts.gaps,
        last_activity=facts.last_activity,
        has_sponsor=facts.has_sponsor,
        snoozed_until=facts.snoozed_until,
        last_reminded=now,
        reminders_since_change=facts.unchanged_reminders + 1,
        escalated=escalated,
        reminded_gaps=facts.gaps,
    )


def next_digest(settings: Settings, *, tz: str | None, after: datetime) -> datetime:
    """The next digest slot strictly after `after`, in the sponsor's time zone (else the workspace's)."""
    local_zone = zone(tz or settings.tz)
    local = after.astimezone(local_zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() != settings.digest_weekday:
            continue
        slot = datetime.combine(day, settings.digest_at, tzinfo=local_zone)
        if slot > local:
            return slot
    raise AssertionError("a weekday recurs within eight days")


def digest_period(settings: Settings, *, tz: str | None, slot: datetime) -> str:
    """The ISO week a digest belongs to, e.g. '2026-W48'."""
    year, week, _ = slot.astimezone(zone(tz or settings.tz)).isocalendar()
    return f"{year}-W{week:02d}"
