"""What each message shows, in neutral parts that every chat platform draws the same way.

The use cases say what to tell people (`Reply`, `Notice`, the check's card); this module decides
what each message holds: which text is a heading, which people are named, which buttons it offers
and which one is the next thing to do. Slack's Block Kit and Teams' Adaptive Cards only draw
these parts (`bot/slack/blocks.py`, `bot/teams/cards.py`), so a wording or a button is changed
here once. All text is plain: the adapters escape every string once on the way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conversations.machine import Stage, State
from conversations.messages import Action, Reply, Tone, Verb
from conversations.people import Person
from conversations.ports import Listing
from conversations.questions import BY_KEY, QUESTIONS
from conversations.reminders import Notice
from conversations.scoring import GAP_LABELS
from conversations.shown import Form, FormKind
from conversations.views import answer_form, card_view


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph: an optional strong lead line, then the text (which may hold several lines)."""

    text: str = ""
    lead: str = ""
    subtle: bool = False
    run_in: bool = False  # the lead starts the text's first line instead of standing above it


@dataclass(frozen=True)
class Facts:
    """Label and value pairs; a value is text, a person (named as the platform names people) or nobody yet."""

    pairs: tuple[tuple[str, str | Person | None], ...]


@dataclass(frozen=True)
class People:
    """A short line naming people, e.g. "Answered by Ana": platforms mention them."""

    lead: str
    people: tuple[Person, ...]
    tail: str = ""


@dataclass(frozen=True)
class Buttons:
    actions: tuple[Action, ...]
    primary: bool = False  # the first is the thing to do next


@dataclass(frozen=True)
class Menu:
    """Pick one of several actions from a list (each action's label is its option)."""

    label: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Inputs:
    """A form drawn inside the message, on platforms whose messages hold inputs."""

    form: Form


Part = Heading | Text | Facts | People | Buttons | Menu | Inputs


@dataclass(frozen=True)
class Message:
    summary: str  # one plain line: notifications, screen readers, the fallback text
    parts: tuple[Part, ...]
    assessment_id: int | None = None  # what its buttons act on

    @property
    def people(self) -> tuple[Person, ...]:
        """Everyone the message names, so that a platform can mention them."""
        found: list[Person] = []
        for part in self.parts:
            if isinstance(part, Facts):
                found += [v for _, v in part.pairs if isinstance(v, Person)]
            elif isinstance(part, People):
                found += part.people
        return tuple(found)

    @property
    def plain(self) -> bool:
        """Only text: nothing to press, pick or fill in."""
        return all(isinstance(p, Text) for p in self.parts)


def paragraph(reply: Reply) -> Text:
    """A reply's title, strong when a body follows."""
    return Text(lead=reply.title, text=reply.body) if reply.body else Text(reply.title)


def _edit_menu(verb: Verb) -> Menu:
    return Menu("Change an answer…", tuple(Action(f"{q.number}. {q.title}", verb, number=q.number) for q in QUESTIONS))


def _commands(reply: Reply) -> tuple[Action, ...]:
    """The reply's buttons; "Edit N" ones are offered as one menu instead."""
    return tuple(a for a in reply.actions if a.verb is not Verb.EDIT)


def of_reply(reply: Reply, *, assessment_id: int | None, by: Person | None, inline_forms: bool) -> Message:
    """Any reply as a message. `inline_forms`: the platform's messages hold inputs (Teams); else
    an answer is given with buttons and a form opened from one (Slack)."""
    q = BY_KEY.get(reply.question or "")
    parts: tuple[Part, ...]
    if assessment_id is None or (q is None and reply.tone in (Tone.QUESTION, Tone.SAVED)):
        targeted = assessment_id is not None or all(a.target for a in _commands(reply))
        parts = (paragraph(reply), Buttons(_commands(reply))) if _commands(reply) and targeted else (paragraph(reply),)
    elif reply.tone is Tone.QUESTION and q is not None and inline_forms:
        form = Form(FormKind.ANSWER, answer_form(q, current=reply.current), assessment_id=assessment_id, question=q.key)
        parts = (Text(lead=reply.title), Inputs(form), Buttons(reply.actions))
    elif reply.tone is Tone.QUESTION and q is not None:
        first, _, rest = reply.body.partition("\n")
        answer = Action("Add details…" if reply.choices else "Answer…", Verb.ANSWER, question=q.key)
        buttons = Buttons((*reply.choice_actions(), answer, *reply.actions), primary=not reply.choices)
        parts = (Text(lead=reply.title), Text(lead=first, text=rest), buttons)
    elif reply.tone is Tone.SAVED and q is not None:
        if reply.actions:  # a draft: straight to its form
            action, primary = Action(reply.actions[0].label, Verb.ANSWER, question=q.key), True
        else:
            action, primary = Action("Change", Verb.EDIT, number=q.number), False
        people = (People("Answered by", (by,)),) if by is not None else ()
        parts = (Text(lead=f"✅ {q.number}. {q.title}:", text=reply.body, run_in=True), *people, Buttons((action,), primary=primary))
    elif reply.tone in (Tone.REVIEW, Tone.SUMMARY):
        commands = _commands(reply)
        parts = (
            Heading(reply.title),
            Text(reply.body),
            *((Buttons(commands, primary=True),) if commands else ()),
            _edit_menu(Verb.CHANGE if reply.tone is Tone.REVIEW else Verb.EDIT),
        )
    else:
        parts = (paragraph(reply), Buttons(_commands(reply))) if _commands(reply) else (paragraph(reply),)
    return Message(summary=reply.text, parts=parts, assessment_id=assessment_id)


def of_card(state: State, *, assessment_id: int) -> Message:
    """The message at the top of a check's thread."""
    view = card_view(state)
    label, _, gaps = view.gaps.partition(": ")
    parts: tuple[Part, ...] = (
        Heading(view.title),
        Facts(view.facts),
        Text(lead=f"{label}:", text=gaps, run_in=True),
        *(Text(line) for line in view.details),
        People("Started by", (view.started_by,), tail=" · the questions are in the thread below"),
        Buttons((view.action,)),
    )
    return Message(summary=view.summary, parts=parts, assessment_id=assessment_id)


def of_notice(notice: Notice) -> Message:
    """A reminder, an escalation or a digest."""
    parts: list[Part] = [Text(lead=notice.title), *(Text(line) for line in notice.lines)]
    if notice.people:
        parts.append(People("For", notice.people))
    if notice.actions and notice.assessment_id is not None:
        parts.append(Buttons(notice.actions, primary=True))
    return Message(summary=notice.title, parts=tuple(parts), assessment_id=notice.assessment_id)


MAX_HOME = 15


def of_home(listed: Sequence[Listing], *, start: str) -> Message:
    """The checks a person started, owns or sponsors, each with a button to carry on."""
    parts: list[Part] = [
        Heading("Your AI readiness checks"),
        Text(f"Checks you started, own or sponsor. Start one in any channel with {start}.", subtle=True),
    ]
    if not listed:
        parts.append(Text("Nothing yet."))
    for item in listed[:MAX_HOME]:
        gaps = ", ".join(GAP_LABELS[g] for g in item.gaps) or "none"
        parts.append(Text(lead=item.project, text=f"{item} · {item.level}\nOpen gaps: {gaps}"))
        carry_on = Action("See the result" if item.stage is Stage.FINISHED else "Continue", Verb.RESUME, target=item.id)
        parts.append(Buttons((carry_on,), primary=item.stage is not Stage.FINISHED))
    return Message(summary="Your AI readiness checks", parts=tuple(parts))
