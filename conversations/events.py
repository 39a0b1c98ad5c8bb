"""What can happen to an assessment: the neutral events adapters produce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conversations.people import Person


@dataclass(frozen=True)
class Start:
    project: str
    by: Person
    sponsor: Person | None = None


@dataclass(frozen=True)
class Say:
    """Typed text: an answer on one line, fields separated by ';'."""

    text: str
    by: Person
    question: str | None = None  # the question the user was looking at, when known


@dataclass(frozen=True)
class Submit:
    """A form: every field of one question, by key."""

    question: str
    values: Mapping[str, Any]
    by: Person
    partial: bool = False  # only some fields: the others keep their stored values


@dataclass(frozen=True)
class Fill:
    """Some fields of several questions at once (the form that closes the blocking gaps): one change."""

    values: Mapping[str, Mapping[str, Any]]  # question key -> field key -> value
    by: Person


@dataclass(frozen=True)
class Confirm:
    yes: bool
    by: Person
    text: str = ""


@dataclass(frozen=True)
class Skip:
    by: Person
    question: str | None = None  # the question the user was looking at, when known


@dataclass(frozen=True)
class Back:
    by: Person
    question: str | None = None


@dataclass(frozen=True)
class Edit:
    number: int | None
    by: Person


@dataclass(frozen=True)
class Review:
    by: Person


@dataclass(frozen=True)
class Finish:
    by: Person


@dataclass(frozen=True)
class Reopen:
    by: Person


@dataclass(frozen=True)
class Status:
    by: Person


@dataclass(frozen=True)
class Help:
    by: Person


@dataclass(frozen=True)
class Resume:
    by: Person


@dataclass(frozen=True)
class SetOwner:
    person: Person
    by: Person


@dataclass(frozen=True)
class SetSponsor:
    person: Person
    by: Person


@dataclass(frozen=True)
class Snooze:
    """Pause reminders for a number of days."""

    days: int | None
    by: Person


@dataclass(frozen=True)
class Rename:
    project: str
    by: Person


@dataclass(frozen=True)
class Archive:
    """Put a check away: no more reminders, digests or listing; it stays in exports."""

    by: Person


@dataclass(frozen=True)
class Unknown:
    """Something that looked like a command but is not one."""

    text: str
    by: Person


Event = (
    Start
    | Say
    | Submit
    | Fill
    | Confirm
    | Skip
    | Back
    | Edit
    | Review
    | Finish
    | Reopen
    | Status
    | Help
    | Resume
    | SetOwner
    | SetSponsor
    | Snooze
    | Rename
    | Archive
    | Unknown
)
