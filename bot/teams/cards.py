"""Neutral replies to Adaptive Cards (Teams), within Teams' size limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conversations import views
from conversations.machine import State
from conversations.messages import Action, Reply, Tone, Verb
from conversations.people import Person
from conversations.questions import BY_KEY, MAX_TEXT, QUESTIONS, Kind, Question
from conversations.reminders import Notice
from conversations.shown import Form, FormKind
from conversations.text import chunks, clip
from conversations.views import FormField, Input, answer_form, card_view

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_BLOCK = 2000
_MARKDOWN = re.compile(r"([\\*_\[\]`#~|])")


def escape(text: str) -> str:
    """User text shown literally: no markdown, no mentions."""
    return _MARKDOWN.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


def markdown(reply: Reply) -> str:
    """A reply as a Teams text message: the title in bold when a body follows, one paragraph per line."""
    if not reply.body:
        return escape(reply.title)
    return "\n\n".join([f"**{escape(reply.title)}**", *(escape(line) for line in reply.body.splitlines() if line.strip())])


def text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": clip(value, MAX_BLOCK), "wrap": True, **style}


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None, *, mentions: tuple[Person, ...] = ()) -> dict[str, Any]:
    made: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }
    if actions:
        made["actions"] = actions
    entities = [
        {"type": "mention", "text": f"<at>{escape(p.name)}</at>", "mentioned": {"id": p.id, "name": p.name}} for p in mentions if p.id
    ]
    if entities:
        made["msteams"] = {"entities": entities}
    return made


def submit(title: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": clip(title, 60), "data": data}


def press(action: Action, *, assessment_id: int | None) -> dict[str, Any]:
    """A button that sends its typed action back, whatever the card's inputs hold (Skip and Back need none filled in)."""
    return {**submit(action.label, pf="act", **action.data(assessment_id=assessment_id)), "associatedInputs": "none"}


def who(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"<at>{escape(person.name)}</at>" if person.id else escape(person.name)


def _input(f: FormField, *, prefix: str = "") -> dict[str, Any]:
    made: dict[str, Any] = {"id": prefix + f.key, "label": f.label, "isRequired": f.required}
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


def form_card(form: Form, *, title: str | None = None, actions: tuple[Action, ...] = ()) -> dict[str, Any]:
    """A form with its inputs and Save; an answer form's inputs are named "question.field"."""
    spec = form.spec
    first, _, rest = spec.intro.partition("\n")
    body = [text(escape(title or spec.title), weight="Bolder")]
    body += [text(escape(first), size="Medium", weight="Bolder"), text(escape(rest), isSubtle=True)] if first else []
    prefix = f"{form.question}." if form.kind is FormKind.ANSWER else ""
    body += [_input(f, prefix=prefix) for f in spec.fields]
    save = submit("Save", pf=form.kind.value, a=form.assessment_id, q=form.question)
    return card(body, [save, *(press(a, assessment_id=form.assessment_id) for a in actions)])


def question_card(reply: Reply, *, assessment_id: int, current: Mapping[str, Any] | None) -> dict[str, Any]:
    q = BY_KEY[reply.question or ""]
    form = Form(FormKind.ANSWER, answer_form(q, current=current), assessment_id=assessment_id, question=q.key)
    return form_card(form, title=reply.title, actions=reply.actions)


def saved_card(reply: Reply, *, assessment_id: int, by: Person) -> dict[str, Any]:
    q = BY_KEY[reply.question or ""]
    body = [text(f"✅ **{q.number}. {escape(q.title)}**: {escape(reply.body)}"), text(f"Answered by {who(by)}", isSubtle=True)]
    actions = [press(reply.actions[0] if reply.actions else Action("Change", Verb.EDIT, number=q.number), assessment_id=assessment_id)]
    return card(body, actions, mentions=(by,))


def note_card(reply: Reply, *, assessment_id: int | None) -> dict[str, Any]:
    body = [text(escape(reply.title), weight="Bolder" if reply.body else "Default")]
    if reply.body:
        body += [text(escape(chunk)) for chunk in chunks(reply.body, MAX_BLOCK)]
    actions = [press(a, assessment_id=assessment_id) for a in reply.actions if a.verb is not Verb.EDIT]
    if reply.tone in (Tone.REVIEW, Tone.SUMMARY):
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "edit",
                "label": "Change an answer",
                "choices": [{"title": f"{q.number}. {q.title}", "value": str(q.number)} for q in QUESTIONS],
            }
        )
        actions.append(submit("Change this answer", pf="edit", a=assessment_id))
    return card(body, actions)


def assessment_card(state: State, *, assessment_id: int) -> dict[str, Any]:
    """The card at the top, as the core describes it."""
    view = card_view(state)
    facts = [{"title": label, "value": escape(v) if isinstance(v, str) else who(v)} for label, v in view.facts]
    body = [text(escape(view.title), size="Large", weight="Bolder"), {"type": "FactSet", "facts": facts}, text(escape(view.gaps))]
    body += [text(escape(line), isSubtle=True) for line in view.details]
    return card(body, [press(view.action, assessment_id=assessment_id)], mentions=view.people)


def notice_card(notice: Notice) -> dict[str, Any]:
    body = [text(escape(notice.title), weight="Bolder")] + [text(escape(line)) for line in notice.lines]
    if notice.people:
        body.append(text("For " + ", ".join(who(p) for p in notice.people), isSubtle=True))
    actions = [press(a, assessment_id=notice.assessment_id) for a in notice.actions] if notice.assessment_id is not None else []
    return card(body, actions, mentions=notice.people)


def fields_from(q: Question, value: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted answer card's inputs for one question; a multi-select comes as "a,b" text."""
    given = views.given(value).get(q.key, {})
    return {k: [v for v in str(x or "").split(",") if v] if q.field(k).kind is Kind.CHECKLIST else x for k, x in given.items()}
