"""What each form asks and what a check's card says, once for every platform; adapters only draw them.

A form is a list of fields, each with the kind of input a person uses (pick one, tick several, a
person, a date, a time, text), its options and the value to start from. A submitted form comes back
as {field key: value}; `given` reads the gaps form's "question.field" keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from conversations.answers import format_money
from conversations.machine import Stage, State
from conversations.messages import Action, Verb
from conversations.people import Person
from conversations.prompts import waits
from conversations.questions import BY_KEY, TOTAL, Field, Kind, Question
from conversations.schedule import Settings
from conversations.scoring import GAP_FIELDS, GAP_LABELS, score
from conversations.settings import DAYS, STALL_HOURS, STOP_AFTER, zone_origin

LONG_FIELDS = frozenset({"notes", "problem", "statement"})


class Input(str, Enum):
    PICK = "pick"  # one of the options
    TICK = "tick"  # any of the options, none included
    PERSON = "person"
    DATE = "date"
    TIME = "time"
    TEXT = "text"
    LONG_TEXT = "long_text"


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    input: Input
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    value: Any = None  # to start from: an option value, a list of them, a Person, or text
    required: bool = False
    hint: str = ""
    note: str = ""  # what leaving it empty costs, when it counts (a blocking gap, points)


@dataclass(frozen=True)
class FormSpec:
    title: str
    intro: str
    fields: tuple[FormField, ...]


def _field(f: Field, current: Any, *, key: str, required: bool) -> FormField:
    options = tuple((o.key, o.label) for o in f.options)
    if f.kind is Kind.CHOICE:
        return FormField(key, f.label, Input.PICK, options, current, required)
    if f.kind is Kind.CHECKLIST:  # ticking nothing is an answer ("none in place")
        return FormField(key, f.label, Input.TICK, options, list(current or []), False)
    if f.kind is Kind.PERSON:
        person = Person.from_value(current) if isinstance(current, Mapping) else None
        return FormField(key, f.label, Input.PERSON, value=person, required=required, hint="Pick a person")
    if f.kind is Kind.DATE:
        return FormField(key, f.label, Input.DATE, value=current, required=required)
    shown = format_money(current) if f.kind is Kind.MONEY and isinstance(current, Mapping) else current
    hint = f.hint
    if f.kind is Kind.MONEY:
        hint = "An amount with a currency, e.g. 120000 EUR" + ("" if required else ", or 'not allocated'")
    kind = Input.LONG_TEXT if f.key in LONG_FIELDS else Input.TEXT
    return FormField(key, f.label, kind, value=None if shown is None else str(shown), required=required, hint=hint)


def _counted(q: Question, f: Field, made: FormField) -> FormField:
    note = waits(q, f)
    return replace(made, note=note[0].upper() + note[1:] + ".") if note and note != "optional" else made


def answer_form(q: Question, *, current: Mapping[str, Any] | None) -> FormSpec:
    """Every field of one question, filled with the current answer."""
    fields = tuple(_counted(q, f, _field(f, (current or {}).get(f.key), key=f.key, required=f.required)) for f in q.fields)
    return FormSpec(title=f"Question {q.number} of {TOTAL}", intro=f"{q.text}\n{q.help}", fields=fields)


def gaps_form(*, gaps: tuple[str, ...], answers: Mapping[str, Mapping[str, Any]]) -> FormSpec:
    """Exactly the fields that close the open blocking gaps; everything else stays as it is."""
    fields = tuple(
        _field(BY_KEY[question].field(key), (answers.get(question) or {}).get(key), key=f"{question}.{key}", required=True)
        for gap in gaps
        for question, key in GAP_FIELDS[gap]
    )
    return FormSpec(title="Close the gaps", intro="Fill in what is missing for production. Everything else stays as it is.", fields=fields)


def given(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A submitted gaps form, by question then field."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        question, _, field = str(key).partition(".")
        if question in BY_KEY and field in {f.key for f in BY_KEY[question].fields}:
            out.setdefault(question, {})[field] = value
    return out


def settings_form(settings: Settings) -> FormSpec:
    def pick(key: str, label: str, options: list[tuple[str, str]], value: object) -> FormField:
        return FormField(key, label, Input.PICK, tuple(options), str(value), True)

    def at(key: str, label: str, value: Any) -> FormField:
        return FormField(key, label, Input.TIME, value=value.strftime("%H:%M"), required=True)

    stall = int(settings.stall_after.total_seconds() // 3600)
    fields = (
        FormField(
            "tz",
            "Time zone for channel reminders",
            Input.TEXT,
            value=settings.tz,
            required=True,
            hint="An IANA name, e.g. Europe/Berlin or America/New_York. Digests use each sponsor's own zone.",
        ),
        pick(
            "nudge_every",
            "Remind about open gaps every",
            [(str(n), f"{n} business day{'s' * (n > 1)}") for n in range(1, 6)],
            settings.nudge_every,
        ),
        at("nudge_at", "Reminders at", settings.nudge_at),
        at("work_start", "Working day starts", settings.work_start),
        at("work_end", "Working day ends", settings.work_end),
        pick("stall_hours", "Remind about unfinished checks after", [(str(h), f"{h} hours") for h in STALL_HOURS], stall),
        pick(
            "escalate_after",
            "Tell the sponsor after",
            [(str(n), f"{n} reminder{'s' * (n > 1)} with no change") for n in range(1, 11)],
            settings.escalate_after,
        ),
        pick(
            "stop_after",
            "Stop reminding the channel after",
            [(str(n), f"{n} reminders with no change (then the sponsor's weekly digest)") for n in STOP_AFTER],
            settings.stop_after,
        ),
        pick("digest_weekday", "Weekly digest on", [(str(i), d) for i, d in enumerate(DAYS)], settings.digest_weekday),
        at("digest_at", "Weekly digest at", settings.digest_at),
    )
    return FormSpec(title="Preflight settings", intro=f"Time zone\n{zone_origin(settings)}", fields=fields)


@dataclass(frozen=True)
class CardView:
    """The message at the top of a check's thread: project, people, progress, score, gaps."""

    title: str
    facts: tuple[tuple[str, str | Person | None], ...]  # label, and text or a person (None: nobody yet)
    gaps: str
    details: tuple[str, ...]  # a line or two under the gaps
    started_by: Person
    action: Action
    summary: str  # one line, for notifications


def card_view(state: State) -> CardView:
    card = score(state.values)
    finished = state.stage is Stage.FINISHED
    # The summary (what pulled the score down, the next steps) is posted once, in the thread: the card stays short.
    details = ("The summary and the next steps are in the thread below.",) if finished else ()
    return CardView(
        title=f"AI readiness: {state.project}",
        facts=(
            ("Sponsor", state.sponsor),
            ("Production owner", state.owner),
            ("Progress", "finished" if finished else f"{card.answered} of {TOTAL} answered"),
            ("Score" if finished else "Score so far", f"{card.percent}% · {card.level.value}"),
        ),
        gaps="Blocking gaps: " + (", ".join(GAP_LABELS[g] for g in card.gaps) or "none"),
        details=details,
        started_by=state.started_by,
        action=Action("Reopen", Verb.REOPEN) if finished else Action("Continue", Verb.RESUME),
        summary=f"AI readiness: {state.project} · {card.answered} of {TOTAL} answered · {card.percent}%",
    )
