"""What reminders and digests say, to whom, and the Sender boundary that delivers them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Protocol

from conversations.messages import Action, Verb
from conversations.people import Person
from conversations.questions import BY_KEY, TOTAL
from conversations.schedule import WEEKLY_AFTER, Due, Facts, Kind, Settings, after_sending, next_reminder, reminders_due
from conversations.scoring import GAP_FIELDS, GAP_LABELS

SNOOZE = Action("Snooze a week", Verb.SNOOZE, number=7)
FILL = Action("Fill in now", Verb.FILL)
CONTINUE = Action("Continue", Verb.RESUME)
NEXT_STEP = {
    "owner": "name the production owner",
    "budget": "secure a production budget",
    "roi": "put a measurable target and a date on the success metric",
}
GAP_NAMES = {"owner": "owner", "budget": "budget", "roi": "ROI"}  # short, for "what changed" lines


@dataclass(frozen=True)
class Target:
    """Where a notice goes: a channel (and thread), or one person directly."""

    platform: str
    workspace: str
    channel: str | None = None
    thread: str | None = None
    person: str | None = None  # a platform user id, for direct messages


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    lines: tuple[str, ...] = ()
    people: tuple[Person, ...] = ()  # who can act; adapters mention them (never the whole channel)
    actions: tuple[Action, ...] = ()
    assessment_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        return cls(
            kind=data["kind"],
            title=data["title"],
            lines=tuple(data.get("lines") or ()),
            people=tuple(Person(name=p["name"], id=p.get("id")) for p in data.get("people") or ()),
            actions=tuple(
                Action(label=a["label"], verb=Verb(a["verb"]), number=a.get("number"), question=a.get("question"), value=a.get("value"))
                for a in data.get("actions") or ()
            ),
            assessment_id=data.get("assessment_id"),
        )


@dataclass(frozen=True)
class Sent:
    """How a delivery went: delivered, worth retrying (after `retry_after` seconds), or never deliverable."""

    ok: bool
    retry_after: float | None = None
    permanent: str | None = None
    error: str | None = None


class Sender(Protocol):
    """Delivers notices on one platform (Slack now, Teams next)."""

    async def send(self, *, notice: Notice, target: Target) -> Sent: ...

    async def time_zone(self, *, workspace: str, person: str) -> str | None:
        """A person's IANA time zone as the platform knows it, or None."""
        ...


# -- what an assessment reminder says ---------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An assessment the scheduler looks at, with what it needs to decide and to write."""

    id: int
    workspace_id: int
    project: str
    facts: Facts
    settings: Settings
    target: Target
    answered: int
    position: int
    started_by: Person
    owner: Person | None = None
    sponsor: Person | None = None
    gaps_since: dict[str, str] = field(default_factory=dict)
    touched: tuple[Touched, ...] = ()  # answers changed since the last reminder, oldest first


@dataclass(frozen=True)
class Touched:
    """One answer changed since the last reminder: which question, by whom, when."""

    question: str
    by: Person
    at: datetime


@dataclass(frozen=True)
class Planned:
    """A notice to deliver, keyed so that it is delivered once, and why it is due (for dry runs)."""

    key: str
    kind: Kind
    notice: Notice
    target: Target
    workspace_id: int
    assessment_id: int | None = None
    person_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Rescheduled:
    id: int
    next_at: datetime | None
    facts: Facts


def plan(candidate: Candidate, *, now: datetime) -> tuple[list[Planned], Rescheduled]:
    """The reminders due for one assessment at `now`, and when to look at it next."""
    facts, settings = candidate.facts, candidate.settings
    due = reminders_due(facts, settings, now=now)
    planned = [p for d in due if (p := _notice(candidate, d, now=now)) is not None]
    facts = after_sending(facts, due, now=now)
    return planned, Rescheduled(candidate.id, next_reminder(facts, settings, after=now), facts)


def _notice(c: Candidate, due: Due, *, now: datetime) -> Planned | None:
    key = due.key(c.id)
    why = _reason(c, due)
    if due.kind is Kind.STALLED:
        notice = Notice(
            kind=due.kind.value,
            title=f"{c.project} is waiting: {c.answered} of {TOTAL} answered.",
            lines=(
                *_since(c, now=now),
                f"{c.started_by.name}, question {c.position} is next. It takes a few minutes to finish.",
                *_backoff(c),
            ),
            people=tuple(p for p in (c.started_by,) if p),
            actions=(CONTINUE, SNOOZE),
            assessment_id=c.id,
        )
        return Planned(key, due.kind, notice, c.target, c.workspace_id, assessment_id=c.id, reason=why)
    if due.kind is Kind.GAP:
        asks = tuple(f"{GAP_LABELS[g].capitalize()}: {_closer(c, g).name}, can you {NEXT_STEP[g]}?" for g in c.facts.gaps)
        notice = Notice(
            kind=due.kind.value,
            title=f"{c.project} can't go to production yet: {len(c.facts.gaps)} blocking gap{'s' * (len(c.facts.gaps) > 1)}.",
            lines=(*_since(c, now=now), *asks, *_backoff(c)),
            people=_unique(_closer(c, g) for g in c.facts.gaps),
            actions=(FILL, SNOOZE),
            assessment_id=c.id,
        )
        return Planned(key, due.kind, notice, c.target, c.workspace_id, assessment_id=c.id, reason=why)
    if due.kind is Kind.ESCALATION and c.sponsor is not None and c.sponsor.id:
        gaps = ", ".join(GAP_LABELS[g] for g in c.facts.gaps) or "the unfinished assessment"
        notice = Notice(
            kind=due.kind.value,
            title=f"{c.project}: {c.facts.unchanged_reminders} reminders and nothing has changed.",
            lines=(
                f"Still open: {gaps}.",
                "As the sponsor, you can unblock it: fill in what is missing, or ask the team who will.",
            ),
            people=(c.sponsor,),
            actions=(FILL,) if c.facts.gaps else (CONTINUE,),
            assessment_id=c.id,
        )
        direct = Target(platform=c.target.platform, workspace=c.target.workspace, person=c.sponsor.id)
        return Planned(key, due.kind, notice, direct, c.workspace_id, assessment_id=c.id, reason=why)
    return None


def _since(c: Candidate, *, now: datetime) -> tuple[str, ...]:
    """What changed since the last reminder, or that nothing did; nothing to say before the first."""
    last = c.facts.last_reminded
    if last is None:
        return ()
    if not c.touched:
        if c.facts.reminded_since_activity:
            return (f"Nothing has changed since the last reminder {_on(last, c, now=now)}.",)
        return ()
    if c.facts.finished:
        closed = [g for g in c.facts.reminded_gaps if g not in c.facts.gaps]
        opened = [g for g in c.facts.gaps if g not in c.facts.reminded_gaps] if c.facts.reminded_gaps else []
        parts = []
        for gap in closed:
            by = _last_touch(c, {q for q, _ in GAP_FIELDS[gap]})
            parts.append(f"{_first_up(GAP_NAMES[gap])} closed" + (f" by {by.by.name} {_on(by.at, c, now=now)}" if by else ""))
        for gap in opened:
            by = _last_touch(c, {q for q, _ in GAP_FIELDS[gap]})
            parts.append(f"{_first_up(GAP_NAMES[gap])} reopened" + (f" by {by.by.name} {_on(by.at, c, now=now)}" if by else ""))
        gap_questions = {q for g in (*closed, *opened) for q, _ in GAP_FIELDS[g]}
        others = [t for t in c.touched if t.question not in gap_questions]
        if others:
            parts.append(_updated(others, c, now=now))
        still = ", ".join(GAP_NAMES[g] for g in c.facts.gaps)
        return ("; ".join(parts) + (f"; still open: {still}." if still else "."),)
    return (_first_up(_updated(list(c.touched), c, now=now)) + ".",)


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _updated(touched: list[Touched], c: Candidate, *, now: datetime) -> str:
    """'Ana answered 2 questions on Tuesday', 'Ana and Ben answered ROI in business terms today'."""
    names = list(dict.fromkeys(t.by.name for t in touched))
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    questions = list(dict.fromkeys(t.question for t in touched))
    what = BY_KEY[questions[0]].title if len(questions) == 1 and questions[0] in BY_KEY else f"{len(questions)} questions"
    return f"{who} answered {what} {_on(touched[-1].at, c, now=now)}"


def _last_touch(c: Candidate, questions: set[str]) -> Touched | None:
    return next((t for t in reversed(c.touched) if t.question in questions), None)


def _on(when: datetime, c: Candidate, *, now: datetime) -> str:
    day = day_name(when, now=now, tz=c.settings.zone)
    return day if day in ("today", "yesterday") else f"on {day}"


def day_name(when: datetime, *, now: datetime, tz: tzinfo) -> str:
    """A day as people say it, in the workspace's zone: 'today', 'yesterday', 'Tuesday' this week, else '1 December'."""
    day, today = when.astimezone(tz).date(), now.astimezone(tz).date()
    ago = (today - day).days
    if ago == 0:
        return "today"
    if ago == 1:
        return "yesterday"
    if 1 < ago < 7:
        return day.strftime("%A")
    return f"{day.day} {day.strftime('%B')}"


def _backoff(c: Candidate) -> tuple[str, ...]:
    """What happens next when reminders go unanswered: weekly after a few, then none here (the sponsor's digest)."""
    number = c.facts.unchanged_reminders + 1  # this reminder, counted since the last change
    if number >= c.settings.stop_after:
        heard = (
            f"{c.sponsor.name} keeps seeing it in their weekly digest."
            if c.sponsor is not None
            else "Name a sponsor so that it stays in someone's weekly digest."
        )
        return (f"This is the last reminder here: {number} with no change. {heard} Any change to the check starts them again.",)
    if number == WEEKLY_AFTER:
        return (f"{number} reminders with no change: from now on, one a week.",)
    return ()


def _reason(c: Candidate, due: Due) -> str:
    """Why this reminder is due now, for an operator reading a dry run."""
    s, number = c.settings, c.facts.unchanged_reminders + 1
    cadence = f"every {s.nudge_every} business day{'s' * (s.nudge_every > 1)}" if number <= WEEKLY_AFTER else "weekly"
    if due.kind is Kind.ESCALATION:
        return f"{c.facts.unchanged_reminders} reminders with no change (the sponsor hears after {s.escalate_after})"
    what = (
        f"{len(c.facts.gaps)} blocking gap{'s' * (len(c.facts.gaps) > 1)} open ({', '.join(GAP_NAMES[g] for g in c.facts.gaps)})"
        if due.kind is Kind.GAP
        else f"unfinished, {c.answered} of {TOTAL} answered"
    )
    return (
        f"{what}; reminder {number} of at most {s.stop_after} with no change, {cadence}, "
        f"from {s.nudge_at.strftime('%H:%M')} {s.tz} on working days"
    )


def _closer(c: Candidate, gap: str) -> Person:
    """Who can close a gap: the sponsor names the owner and funds the budget; the owner defines the ROI."""
    order = (c.sponsor, c.owner) if gap in ("owner", "budget") else (c.owner, c.sponsor)
    return next((p for p in order if p is not None), c.started_by)


def _unique(people: Any) -> tuple[Person, ...]:
    seen: dict[str, Person] = {}
    for p in people:
        seen.setdefault(p.key, p)
    return tuple(seen.values())
