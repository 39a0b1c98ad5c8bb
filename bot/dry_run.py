"""What a dry run of `preflight nudge` or `preflight digest` prints: each message a pass would send, to whom, and why."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.scheduler import Report
from conversations.reminders import Notice, Target

KINDS = {
    "gap": "gap reminder",
    "stalled": "reminder to finish",
    "escalation": "escalation to the sponsor",
    "digest": "weekly digest",
}


def describe(report: Report, *, kind: str, now: datetime) -> str:
    """The whole dry run as text: nothing was sent or recorded."""
    count = len(report.planned) + len(report.waiting)
    head = f"{kind} dry run at {now.isoformat()}: {count} message{'s' * (count != 1)} would be sent; nothing was sent or recorded."
    out = [head, *report.notes]
    for n, p in enumerate(report.planned, 1):
        out += ["", f"{n}. {KINDS.get(p.kind.value, p.kind.value)} {_to(p.target, p.notice)}", f"   why: {p.reason}", f"   key: {p.key}"]
        out += _notice(p.notice)
    for n, item in enumerate(report.waiting, len(report.planned) + 1):
        again = f" (attempt {item.attempts + 1})" if item.attempts else ""
        kind_ = item.key.split(":", 1)[0]
        out += ["", f"{n}. {KINDS.get(kind_, kind_)} {_to(item.target, item.notice)}", f"   why: queued earlier, due now{again}"]
        out += [f"   key: {item.key}", *_notice(item.notice)]
    if not count:
        out.append(f"Nothing is due (looked at {report.looked_at}).")
    return "\n".join(out)


def _to(target: Target, notice: Notice) -> str:
    where = f"{target.platform} {target.workspace}"
    if target.person:
        named = next((p.name for p in notice.people if p.id == target.person), None)
        return f"to {named + ' ' if named else ''}({target.person}) by direct message, {where}"
    thread = f", thread {target.thread}" if target.thread else ""
    return f"to channel {target.channel}{thread}, {where}"


def _notice(notice: Notice) -> list[str]:
    lines = [f"   | {notice.title}", *(f"   | {row}" for line in notice.lines for row in line.split("\n"))]
    if notice.people:
        lines.append("   mentions: " + _names(f"{p.name} ({p.id})" if p.id else p.name for p in notice.people))
    if notice.actions:
        lines.append("   buttons: " + _names(a.label for a in notice.actions))
    return lines


def _names(items: Iterable[str]) -> str:
    return ", ".join(items)
