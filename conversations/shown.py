"""What a use case hands back to an adapter: who acted, and what to show where.

The rules of where things go live here and in the use cases, once: an error goes only to the person
who acted; what happened to the question on screen replaces it; a change redraws the check's card.
Adapters draw each part in their own medium (an ephemeral message, a card update, a modal).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from conversations.machine import State
from conversations.messages import Reply, Tone
from conversations.people import Person
from conversations.ports import Place
from conversations.views import FormSpec


@dataclass(frozen=True)
class Actor:
    """The person acting, and where."""

    person: Person
    platform: str
    workspace: str
    channel: str = ""  # the conversation they act in
    prefix: str = ""  # how commands are typed here, e.g. "/readiness "
    is_admin: Callable[[], Awaitable[bool]] | None = None  # asks the platform whether they may change the settings
    typed_answers: bool = False  # words that are not a command answer the conversation's check
    request: int | None = None  # the inbox request being worked on, so that it takes effect once

    async def admin(self) -> bool:
        return self.is_admin is not None and await self.is_admin()


class FormKind(str, Enum):
    ANSWER = "answer"  # every field of one question
    GAPS = "gaps"  # exactly the fields that close the blocking gaps
    SETTINGS = "settings"


@dataclass(frozen=True)
class Form:
    kind: FormKind
    spec: FormSpec  # what it asks
    assessment_id: int | None = None
    question: str | None = None


@dataclass(frozen=True)
class Card:
    """The check's card, drawn from this state; `version` orders two redraws that race."""

    assessment_id: int
    state: State
    version: int = 0


@dataclass(frozen=True)
class Shown:
    assessment_id: int | None = None
    place: Place | None = None  # where the check lives (its thread)
    private: tuple[Reply, ...] = ()  # only for the person who acted
    thread: tuple[Reply, ...] = ()  # posted in the check's thread
    replace: Reply | None = None  # takes the place of the message that was acted on
    card: Card | None = None  # redraw the check's card
    new: bool = False  # a new check: post its card, whose thread the replies go in
    form: Form | None = None  # open this form for the person


def arrange(replies: tuple[Reply, ...], *, assessment_id: int, place: Place, card: Card | None, from_message: bool) -> Shown:
    """Where each reply of a turn goes.

    After an error only the error is shown, and only to the person: the question is still on screen.
    What happened to the question that was acted on (saved, skipped), or the summary of a review
    that was finished, replaces that message, so its buttons cannot be pressed again.
    """
    if replies and replies[0].tone is Tone.ERROR:
        return Shown(assessment_id=assessment_id, place=place, private=replies[:1])
    private = tuple(r for r in replies if r.tone is Tone.ERROR)
    thread: list[Reply] = []
    replace = None
    for reply in replies:
        if reply.tone is Tone.ERROR:
            continue
        answered = reply.question is not None and reply.tone in (Tone.SAVED, Tone.INFO)
        if from_message and replace is None and (answered or reply.tone is Tone.SUMMARY):
            replace = reply
            continue
        thread.append(reply)
    return Shown(assessment_id=assessment_id, place=place, private=private, thread=tuple(thread), replace=replace, card=card)
