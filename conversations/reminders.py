"""What reminders and digests say, to whom, and the Sender boundary that delivers them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from conversations.messages import Action, Verb
from conversations.people import Person
from conversations.questions import TOTAL
from conversations.schedule import Due, Facts, Kind, Settings, after_sending, next_reminder, reminders_due
from conversations.scoring import GAP_LABELS

SNOOZE = Action("Snooze a week", Verb.SNOOZE, number=7)
FILL = Action("Fill in now", Verb.FILL)
CONTINUE = Action("Continue", Verb.RESUME)
NEXT_STEP = {
    "owner": "name the production owner",
    "budget": "secure a production budget",
    "roi": "put a measurable target and a date on the success metric",
}


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


@dataclass(frozen=True)
class Planned:
    """A notice to deliver, keyed so that it is delivered once."""

    key: str
    kind: Kind
    notice: Notice
    target: Target
    workspace_id: int
    assessment_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class Rescheduled:
    id: int
    next_at: datetime | None
    facts: Facts


def plan(candidate: Candidate, *, now: datetime) -> tuple[list[Planned], Rescheduled]:
    """The reminders due for one assessment at `now`, and when to look at it next."""
    facts, settings = candidate.facts, candidate.settings
    due = reminders_due(facts, settings, now=now)
    planned = [p for d in due if (p := _notice(candidate, d)) is not None]
    facts = after_sending(facts, due, now=now)
    return planned, Rescheduled(candidate.id, next_reminder(facts, settings, after=now), facts)


def _notice(c: Candidate, due: Due) -> Planned | None:
    key = due.key(c.id)
    if due.kind is Kind.STALLED:
        notice = Notice(
            kind=due.kind.value,
            title=f"{c.project} is waiting: {c.answered} of {TOTAL} answered.",
            lines=(f"Question {c.position} is next. It takes a few minutes to finish.",),
            people=tuple(p for p in (c.started_by,) if p),
            actions=(CONTINUE, SNOOZE),
            assessment_id=c.id,
        )
        return Planned(key, due.kind, notice, c.target, c.workspace_id, assessment_id=c.id)
    if due.kind is Kind.GAP:
        lines = tuple(f"{GAP_LABELS[g].capitalize()}: {_closer(c, g).name}, can you {NEXT_STEP[g]}?" for g in c.facts.gaps)
        notice = Notice(
            kind=due.kind.value,
            title=f"{c.project} can't go to production yet: {len(c.facts.gaps)} blocking gap{'s' * (len(c.facts.gaps) > 1)}.",
            lines=lines,
            people=_unique(_closer(c, g) for g in c.facts.gaps),
            actions=(FILL, SNOOZE),
            assessment_id=c.id,
        )
        return Planned(key, due.kind, notice, c.target, c.workspace_id, assessment_id=c.id)
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
        return Planned(key, due.kind, notice, direct, c.workspace_id, assessment_id=c.id)
    return None


def _closer(c: Candidate, gap: str) -> Person:
    """Who can close a gap: the sponsor names the owner and funds the budget; the owner defines the ROI."""
    order = (c.sponsor, c.owner) if gap in ("owner", "budget") else (c.owner, c.sponsor)
    return next((p for p in order if p is not None), c.started_by)


def _unique(people: Any) -> tuple[Person, ...]:
    seen: dict[str, Person] = {}
    for p in people:
        seen.setdefault(p.key, p)
    return tuple(seen.values())
