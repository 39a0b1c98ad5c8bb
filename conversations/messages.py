"""The neutral reply model that every adapter renders (terminal text, Block Kit, Adaptive Cards).

Replies hold plain text only: no platform markup, so an adapter can escape all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from conversations.scoring import Scorecard


class Tone(str, Enum):
    QUESTION = "question"  # asks for an answer
    SAVED = "saved"  # confirms what was stored
    INFO = "info"
    ERROR = "error"  # the input was not accepted; nothing changed
    CONFIRM = "confirm"  # waits for yes or no
    REVIEW = "review"
    SUMMARY = "summary"


@dataclass(frozen=True)
class Action:
    """A button, or in a text interface a command the user may type."""

    label: str
    command: str


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

    @property
    def text(self) -> str:
        return "\n".join(part for part in (self.title, self.body) if part)
