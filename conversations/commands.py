"""One grammar for what people type: `/readiness …` in Slack, `@Preflight …` in Teams, lines in the terminal.

`parse` reads the words after the command or mention into a typed command; `read` reads a line
typed inside a check (an answer, or skip / back / edit N …) into an event. Adapters hand in the
people mentioned, already translated from their platform's syntax. Both strip terminal escape
sequences and control characters first, so none reaches a stored answer from any interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conversations import events
from conversations.machine import MAX_SNOOZE_DAYS, validate_project
from conversations.people import Person
from conversations.text import strip_controls


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class StartCheck:
    project: str


@dataclass(frozen=True)
class Status:
    project: str = ""  # which check, where a conversation holds several; "" for the only one


@dataclass(frozen=True)
class ListChecks:
    pass


@dataclass(frozen=True)
class SetOwner:
    person: Person
    project: str = ""


@dataclass(frozen=True)
class SetSponsor:
    person: Person
    project: str = ""


@dataclass(frozen=True)
class SnoozeCheck:
    days: int
    project: str = ""


@dataclass(frozen=True)
class RenameCheck:
    name: str  # the new name
    project: str = ""  # "" for the only check here; several ask which


@dataclass(frozen=True)
class ArchiveCheck:
    project: str = ""


@dataclass(frozen=True)
class DigestPreview:
    pass


@dataclass(frozen=True)
class OpenSettings:
    pass


@dataclass(frozen=True)
class Invalid:
    """A known command with an argument it cannot use; `problem` says what to type instead."""

    problem: str


@dataclass(frozen=True)
class Unknown:
    """Words that are not a command: in a conversation with a check, maybe an answer."""

    word: str
    text: str


Command = (
    Help
    | StartCheck
    | Status
    | ListChecks
    | SetOwner
    | SetSponsor
    | SnoozeCheck
    | RenameCheck
    | ArchiveCheck
    | DigestPreview
    | OpenSettings
    | Invalid
    | Unknown
)
_PLAIN: dict[str, type[Help | Status | ListChecks | DigestPreview | OpenSettings]] = {
    "help": Help,
    "status": Status,
    "list": ListChecks,
    "digest": DigestPreview,
    "settings": OpenSettings,
}


def parse(text: str, *, mentions: Sequence[Person] = (), prefix: str = "") -> Command:
    """The command in `text`; `prefix` is how this platform's commands begin, for the examples in errors."""
    text = strip_controls(text)
    word, rest = [*text.split(maxsplit=1), "", ""][:2]  # a tab or a line break after the word parts it too
    word, rest = word.lower(), rest.strip()
    if word in ("", "help", "?"):
        return Help()
    if word in _PLAIN and not rest:
        return _PLAIN[word]()
    if word == "status":
        return Status(project=rest)
    if word == "archive":
        return ArchiveCheck(project=rest)
    if word == "rename":
        problem = f"What should it be called? e.g. {prefix}rename Churn model v2." if not rest else validate_project(rest)
        return Invalid(problem) if problem else RenameCheck(name=rest.strip())
    if word == "start":
        project = strip_controls(rest, multiline=False)  # a name is one line
        problem = f"Name the project, e.g. {prefix}start Churn model." if not project else validate_project(project)
        return Invalid(problem) if problem else StartCheck(project=project.strip())
    if word in ("owner", "sponsor"):
        if not mentions:
            return Invalid(f"Name the person with @, e.g. {prefix}{word} @dana.")
        project = _after_mention(rest, mentions[0])
        return SetOwner(mentions[0], project) if word == "owner" else SetSponsor(mentions[0], project)
    if word == "snooze":
        days, _, project = rest.partition(" ")
        if not days.isdigit() or not 1 <= int(days) <= MAX_SNOOZE_DAYS:
            return Invalid(f"For how many days? A number from 1 to {MAX_SNOOZE_DAYS}, e.g. {prefix}snooze 7.")
        return SnoozeCheck(days=int(days), project=project.strip())
    return Unknown(word=word[:40], text=text.strip())


def name_given(text: str) -> StartCheck | Invalid:
    """A project's name typed where one is asked for: 'start Churn model' names Churn model, as the command does."""
    text = strip_controls(text, multiline=False).strip()
    if text and text.split(maxsplit=1)[0].lower() == "start":
        started = parse(text)
        assert isinstance(started, (StartCheck, Invalid))  # what parse makes of "start …"
        return started
    problem = validate_project(text)
    return Invalid(problem) if problem else StartCheck(project=text)


def _after_mention(rest: str, person: Person) -> str:
    """What follows the person named first: the project, where the command names one."""
    written = "@" + person.name
    if rest.lower().startswith(written.lower()):
        return rest[len(written) :].strip()
    return rest.partition(" ")[2].strip() if rest.startswith("@") else ""


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
    """Interpret one line typed inside a check: a command if it is one, otherwise an answer."""
    text = strip_controls(text)
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
    if low and low[0] == "rename" and len(words) > 1:
        return events.Rename(project=text.strip()[len(words[0]) :].strip(), by=by)
    if low == ["archive"]:
        return events.Archive(by=by)
    if low and low[0].startswith("/"):
        return events.Unknown(text=text, by=by)
    if len(low) == 1 and low[0] in ("yes", "y", "no", "n"):
        return events.Confirm(yes=low[0].startswith("y"), by=by, text=text)
    return events.Say(text=text, by=by, question=question)
