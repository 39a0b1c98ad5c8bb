"""The weekly sponsor digest: every project a sponsor backs, what changed, and the one next action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations.machine import Stage
from conversations.people import Person
from conversations.ports import DueSponsor, Project
from conversations.questions import TOTAL
from conversations.reminders import CONTINUE, NEXT_STEP, Notice, Planned, Target
from conversations.schedule import STOP_AFTER, Due, Kind, digest_period, next_digest
from conversations.scoring import GAP_LABELS


def next_action(project: Project) -> str:
    """The single most useful thing to do next."""
    state, card = project.state, project.card
    if state.stage is not Stage.FINISHED:
        return f"finish the assessment ({card.answered} of {TOTAL} answered)"
    if card.gaps:
        return NEXT_STEP[card.gaps[0]]
    if card.weaknesses:
        weakest = min(card.weaknesses, key=lambda w: w.score)
        return f"{weakest.title.lower()}: {weakest.recommendation.split(': ')[0].split('. ')[0].rstrip('.')}"
    return "nothing blocking: keep the answers current"


def _days(since: datetime, now: datetime) -> str:
    days = max(0, (now - since).days)
    return "today" if days == 0 else ("1 day" if days == 1 else f"{days} days")


def line(project: Project, *, now: datetime, stop_after: int = STOP_AFTER) -> str:
    state, card = project.state, project.card
    text = f"{state.project}: {card.percent}% · {card.level.value}"
    if project.previous_total is not None:
        change = round(100 * (card.total - project.previous_total) / TOTAL)
        text += " (no change since the last digest)" if change == 0 else f" ({change:+d} points since the last digest)"
    else:
        text += " (new this week)"
    if card.gaps:
        aged = []
        for gap in card.gaps:
            opened = project.gaps_since.get(gap)
            age = _days(datetime.fromisoformat(opened), now) if opened else "?"
            aged.append(f"{GAP_LABELS[gap]} (open {age})")
        text += "\nOpen gaps: " + ", ".join(aged)
    else:
        text += "\nNo blocking gaps"
    activity = _days(project.last_activity, now)
    text += f" · last activity {activity if activity == 'today' else activity + ' ago'}"
    text += f"\nNext: {next_action(project)}."
    if project.unanswered >= stop_after:
        text += f"\nThe channel has had {project.unanswered} reminders with no change and hears no more: it stays in view here."
    return text


def digest(sponsor: Person, projects: list[Project], *, now: datetime, stop_after: int = STOP_AFTER) -> Notice | None:
    """One message covering all of a sponsor's projects; None when there are none."""
    if not projects:
        return None
    ordered = sorted(projects, key=lambda p: (not p.card.gaps, p.state.project.lower()))
    blocked = sum(1 for p in projects if p.card.gaps)
    count = f"{len(projects)} project{'s' * (len(projects) > 1)}"
    title = f"Your weekly AI readiness digest: {count}, {blocked} with blocking gaps."
    return Notice(
        kind=Kind.DIGEST.value,
        title=title,
        lines=tuple(line(p, now=now, stop_after=stop_after) for p in ordered),
        people=(),
        actions=(CONTINUE,) if len(projects) == 1 else (),
        assessment_id=projects[0].id if len(projects) == 1 else None,
    )


@dataclass(frozen=True)
class DigestPlan:
    """What a digest pass does for one sponsor: the digest to queue (if any), when to look again, what it digested."""

    planned: Planned | None
    next_at: datetime | None  # None: sponsors nothing, so no digest until they do
    digested: dict[int, float]  # project id -> total, remembered for next week's "since the last digest"


def plan_digest(sponsor: DueSponsor, projects: list[Project], *, tz: str | None, now: datetime) -> DigestPlan:
    """The weekly digest owed to a sponsor at `now`, in their time zone; one, however many weeks were missed.

    A new sponsor gets their first digest at the next slot; one whose zone changed so that this
    week's slot is still ahead waits for it.
    """
    following = next_digest(sponsor.settings, tz=tz, after=now)
    if sponsor.tz_checked_at is None:
        return DigestPlan(None, following, {})
    if not projects:
        return DigestPlan(None, None, {})
    latest = next_digest(sponsor.settings, tz=tz, after=now - timedelta(days=7))
    if latest > now:
        return DigestPlan(None, latest, {})
    notice = digest(Person(name=sponsor.name, id=sponsor.external_id), projects, now=now, stop_after=sponsor.settings.stop_after)
    assert notice is not None
    key = Due(Kind.DIGEST, digest_period(sponsor.settings, tz=tz, slot=latest)).key(sponsor.id)
    target = Target(platform=sponsor.platform, workspace=sponsor.workspace, person=sponsor.external_id)
    slot = latest.strftime("%A %H:%M") + f" {latest.tzname()}"
    count = f"{len(projects)} sponsored project{'s' * (len(projects) > 1)}"
    why = f"{sponsor.name}'s weekly digest for {digest_period(sponsor.settings, tz=tz, slot=latest)} ({slot}): {count}"
    planned = Planned(key, Kind.DIGEST, notice, target, sponsor.workspace_id, person_id=sponsor.id, reason=why)
    return DigestPlan(planned, following, {p.id: p.card.total for p in projects})
