"""The neutral reply model that every adapter renders (terminal text, Block Kit, Adaptive Cards).

Replies hold plain text only: no platform markup, so an adapter can escape all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from conversations.people import Person
from conversations.scoring import Scorecard

MAX_VALUE = 100  # a button's value: a reading, a person, a project's new name (at most 80 characters)


class Tone(str, Enum):
    QUESTION = "question"  # asks for an answer
    SAVED = "saved"  # confirms what was stored
    INFO = "info"
    ERROR = "error"  # the input was not accepted; nothing changed
    CONFIRM = "confirm"  # waits for yes or no
    REVIEW = "review"
    SUMMARY = "summary"


class Verb(str, Enum):
    """What a button does; adapters carry it in the button and hand it back unchanged."""

    CHOOSE = "choose"  # pick one answer option (`value`) of `question`
    ANSWER = "answer"  # open the form of `question`
    SKIP = "skip"
    BACK = "back"
    EDIT = "edit"  # `number`: the answer to change
    CHANGE = "change"  # the same, picked from a review: the review is retired, a new one comes once it is saved
    FINISH = "finish"
    REOPEN = "reopen"
    YES = "yes"
    NO = "no"
    RESUME = "resume"
    SNOOZE = "snooze"  # `number`: days
    FILL = "fill"  # open the form with exactly the fields that close the blocking gaps
    STATUS = "status"  # where the check stands, for the person who asked
    OWNER = "owner"  # `value`: the person (see `Action.person`)
    SPONSOR = "sponsor"
    RENAME = "rename"  # `value`: the new name
    ARCHIVE = "archive"


@dataclass(frozen=True)
class Action:
    """A button, or in a text interface a command the user may type."""

    label: str
    verb: Verb
    number: int | None = None
    question: str | None = None  # the question on screen when the button was drawn
    value: str | None = None
    target: int | None = None  # the check it acts on, when not the one its message is about

    @classmethod
    def naming(cls, label: str, verb: Verb, person: Person, *, target: int | None = None) -> Action:
        """A button that names a person (owner, sponsor): their key and name travel in `value`."""
        return cls(label, verb, value=f"{person.key}\t{person.name}"[:MAX_VALUE], target=target)

    @property
    def person(self) -> Person | None:
        key, _, name = (self.value or "").partition("\t")
        return Person.from_key(key, name=name or key) if key else None

    @property
    def words(self) -> str:
        """The same action typed in a text interface."""
        return f"{self.verb.value} {self.number}" if self.number is not None else self.verb.value

    def data(self, *, assessment_id: int | None) -> dict[str, Any]:
        """The action as a small dict for a button's payload (see `read_action`)."""
        found: dict[str, Any] = {"a": self.target or assessment_id, "v": self.verb.value}
        for name, short in (("number", "n"), ("question", "q"), ("value", "c")):
            if getattr(self, name) is not None:
                found[short] = getattr(self, name)
        return found


def assessment_id_of(raw: Any) -> int:
    """The assessment id a payload carried, or 0 for anything that cannot be one."""
    return raw if isinstance(raw, int) and 0 < raw < 2**31 else 0


def parse_json(raw: Any) -> Any:
    """JSON a button value or a form's metadata carried; None for anything else, nesting past the recursion limit included."""
    try:
        return json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):
        return None


def read_action(data: Any) -> tuple[int, Action] | None:
    """The assessment id and action a button carried; None for anything forged or malformed."""
    if not isinstance(data, dict):
        return None
    assessment_id, verb = assessment_id_of(data.get("a")), data.get("v")
    if not assessment_id or verb not in Verb._value2member_map_:
        return None
    number, question, value = data.get("n"), data.get("q"), data.get("c")
    if number is not None and (not isinstance(number, int) or not -(2**31) < number < 2**31):
        return None
    if not (question is None or (isinstance(question, str) and len(question) <= 64)):
        return None
    if not (value is None or (isinstance(value, str) and len(value) <= MAX_VALUE)):
        return None
    return assessment_id, Action(label="", verb=Verb(verb), number=number, question=question, value=value)


@dataclass(frozen=True)
class Choice:
    """One answer option; text interfaces number them."""

    label: str
    value: str


@dataclass(frozen=True)
class Progress:
    position: int  # the question on screen, 1-based; 0 when none is
    answered: int
    total: int

    def __str__(self) -> str:
        if self.position:
            return f"question {self.position} of {self.total}"
        return f"{self.answered} of {self.total} answered"


@dataclass(frozen=True)
class Reply:
    title: str
    body: str = ""
    tone: Tone = Tone.INFO
    question: str | None = None  # the question key this reply asks or reports on
    choices: tuple[Choice, ...] = ()
    actions: tuple[Action, ...] = ()
    progress: Progress | None = None
    scorecard: Scorecard | None = None
    errors: dict[str, str] = field(default_factory=dict)  # per answer field, for forms
    hint: str = ""  # how to answer in a text interface
    current: Mapping[str, Any] | None = None  # a question's answer as it stands: its inline form starts from it

    def choice_actions(self) -> tuple[Action, ...]:
        """The answer options as buttons."""
        return tuple(Action(c.label, Verb.CHOOSE, question=self.question, value=c.value) for c in self.choices)

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.title, self.body) if part)
