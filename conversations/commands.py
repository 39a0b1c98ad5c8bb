"""Typed text to events: the commands a text interface understands."""

from __future__ import annotations

from conversations import events
from conversations.people import Person

_SIMPLE = {
    "back": events.Back,
    "skip": events.Skip,
    "review": events.Review,
    "finish": events.Finish,
    "done": events.Finish,
    "reopen": events.Reopen,
    "status": events.Status,
    "help": events.Help,
    "?": events.Help,
    "resume": events.Resume,
    "continue": events.Resume,
}


def read(text: str, *, by: Person, question: str | None = None) -> events.Event:
    """Interpret one line: a command if it is one, otherwise an answer."""
    words = text.strip().split()
    low = [w.lower() for w in words]
    if len(low) == 1 and low[0] in ("skip", "back"):
        return _SIMPLE[low[0]](by=by, question=question)
    if len(low) == 1 and low[0] in _SIMPLE:
        return _SIMPLE[low[0]](by=by)
    if low and low[0] == "edit" and len(low) <= 2:
        number = int(low[1]) if len(low) == 2 and low[1].isdigit() else None
        return events.Edit(number=number, by=by)
    if low and low[0] == "snooze" and len(low) <= 2:
        days = int(low[1]) if len(low) == 2 and low[1].isdigit() else None
        return events.Snooze(days=days, by=by)
    if low and low[0].startswith("/"):
        return events.Unknown(text=text, by=by)
    if len(low) == 1 and low[0] in ("yes", "y", "no", "n"):
        return events.Confirm(yes=low[0].startswith("y"), by=by, text=text)
    return events.Say(text=text, by=by, question=question)
