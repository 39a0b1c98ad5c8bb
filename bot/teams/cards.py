"""Neutral messages to Adaptive Cards (Teams), within Teams' size limits."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from conversations import layout, views
from conversations.messages import Action, parse_json, read_action
from conversations.people import Person
from conversations.questions import MAX_TEXT, Kind, Question
from conversations.shown import Form, FormKind
from conversations.text import chunks, clip
from conversations.views import FormField, Input

MAX_BLOCK = 2000
_MARKDOWN = re.compile(r"([\\*_\[\]`#~|])")
_LIST = re.compile(r"^(\s*)(\d+)\.(\s)|^(\s*)([-+])(\s)", re.MULTILINE)  # a line Teams would draw as a list item


def escape(text: str) -> str:
    """User text shown literally: no markdown (lists included), no mentions."""
    text = _MARKDOWN.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")
    return _LIST.sub(lambda m: f"{m[1]}{m[2]}\\.{m[3]}" if m[2] else f"{m[4]}\\{m[5]}{m[6]}", text)


def who(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"<at>{escape(person.name)}</at>" if person.id else escape(person.name)


def markdown(message: layout.Message) -> str:
    """A message with only text, as a Teams text message: one paragraph per line (Teams joins single line breaks)."""
    lines = []
    for part in message.parts:
        if isinstance(part, layout.Text):
            lines += [f"**{escape(part.lead)}**"] if part.lead else []
            lines += [escape(line) for line in part.text.splitlines() if line.strip()]
    return "\n\n".join(lines)


def text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": clip(value, MAX_BLOCK), "wrap": True, **style}


def submit(title: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": clip(title, 60), "data": data}


def press(action: Action, *, assessment_id: int | None) -> dict[str, Any]:
    """A button that sends its typed action back, whatever the card's inputs hold (Skip and Back need none filled in)."""
    return {**submit(action.label, pf="act", **action.data(assessment_id=assessment_id)), "associatedInputs": "none"}


def _input(f: FormField, *, prefix: str = "") -> dict[str, Any]:
    label = f"{f.label} ({f.note[0].lower()}{f.note[1:].rstrip('.')})" if f.note else f.label
    made: dict[str, Any] = {"id": prefix + f.key, "label": label, "isRequired": f.required}
    if f.required:
        made["errorMessage"] = f"{f.label} is needed."
    if f.input in (Input.PICK, Input.TICK):
        made |= {"type": "Input.ChoiceSet", "style": "expanded", "isMultiSelect": f.input is Input.TICK}
        made["choices"] = [{"title": label, "value": value} for value, label in f.options]
        if f.value:
            made["value"] = ",".join(f.value) if isinstance(f.value, list) else f.value
        return made
    if f.input in (Input.DATE, Input.TIME):
        return made | {"type": "Input.Date" if f.input is Input.DATE else "Input.Time", **({"value": f.value} if f.value else {})}
    made |= {"type": "Input.Text", "maxLength": MAX_TEXT, "isMultiline": f.input is Input.LONG_TEXT}
    if f.hint:
        made["placeholder"] = f.hint
    shown = f.value.name if isinstance(f.value, Person) else f.value
    if shown:
        made["value"] = clip(str(shown), MAX_TEXT)
    return made


def _inputs(form: Form) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A form's body (its intro and inputs) and its Save; an answer form's inputs are named "question.field"."""
    spec = form.spec
    first, _, rest = spec.intro.partition("\n")
    body = [text(escape(first), size="Medium", weight="Bolder"), text(escape(rest), isSubtle=True)] if first else []
    prefix = f"{form.question}." if form.kind is FormKind.ANSWER else ""
    body += [_input(f, prefix=prefix) for f in spec.fields]
    return body, submit("Save", pf=form.kind.value, a=form.assessment_id, q=form.question)


def _drawn(part: layout.Part, *, assessment_id: int | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One part as card body elements and card actions."""
    if isinstance(part, layout.Heading):
        return [text(escape(part.text), size="Large", weight="Bolder")], []
    if isinstance(part, layout.Text):
        style = {"isSubtle": True} if part.subtle else {}
        if part.run_in:
            return [text(f"**{escape(part.lead)}** {escape(part.text)}", **style)], []
        body = [text(escape(part.lead), weight="Bolder")] if part.lead else []
        body += [text(escape(chunk), **style) for line in part.text.splitlines() if line.strip() for chunk in chunks(line, MAX_BLOCK)]
        return body, []
    if isinstance(part, layout.Facts):
        facts = [{"title": label, "value": escape(v) if isinstance(v, str) else who(v)} for label, v in part.pairs]
        return [{"type": "FactSet", "facts": facts}], []
    if isinstance(part, layout.People):
        return [text(f"{escape(part.lead)} {', '.join(who(p) for p in part.people)}{escape(part.tail)}", isSubtle=True)], []
    if isinstance(part, layout.Buttons):
        return [], [press(a, assessment_id=assessment_id) for a in part.actions]
    if isinstance(part, layout.Menu):
        choices = [{"title": a.label, "value": json.dumps(a.data(assessment_id=assessment_id))} for a in part.actions]
        menu: dict[str, Any] = {"type": "Input.ChoiceSet", "id": "pick", "label": part.label, "placeholder": part.label}
        menu |= {"choices": choices, "isRequired": True, "errorMessage": "Pick one first."}  # its button sends nothing without a pick
        return [menu], [submit(part.label.rstrip("…"), pf="pick")]
    body, save = _inputs(part.form)
    return body, [save]


def card_of(message: layout.Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for part in message.parts:
        drawn, pressed = _drawn(part, assessment_id=message.assessment_id)
        body += drawn
        actions += pressed
    made: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.4"}
    made["body"] = body
    if actions:
        made["actions"] = actions
    entities = [
        {"type": "mention", "text": f"<at>{escape(p.name)}</at>", "mentioned": {"id": p.id, "name": p.name}} for p in message.people if p.id
    ]
    if entities:
        made["msteams"] = {"entities": entities}
    return made


def form_card(form: Form) -> dict[str, Any]:
    return card_of(layout.Message(summary=form.spec.title, parts=(layout.Heading(form.spec.title), layout.Inputs(form))))


def picked(value: Mapping[str, Any]) -> tuple[int, Action] | None:
    """The action chosen from a menu: its option carries the typed action."""
    return read_action(parse_json(value.get("pick")))


def fields_from(q: Question, value: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted answer card's inputs for one question; a multi-select comes as "a,b" text."""
    given = views.given(value).get(q.key, {})
    return {k: [v for v in str(x or "").split(",") if v] if q.field(k).kind is Kind.CHECKLIST else x for k, x in given.items()}
