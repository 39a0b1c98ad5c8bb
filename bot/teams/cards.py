"""Neutral replies to Adaptive Cards (Teams), within Teams' size limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conversations.answers import format_money
from conversations.machine import Stage, State
from conversations.messages import Action, Reply, Tone, Verb
from conversations.people import Person
from conversations.questions import BY_KEY, MAX_TEXT, QUESTIONS, TOTAL, Field, Kind, Question
from conversations.reminders import Notice
from conversations.scoring import GAP_FIELDS, GAP_LABELS, score
from conversations.text import chunks, clip

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
    """A button that sends its typed action back."""
    return submit(action.label, pf="act", **action.data(assessment_id=assessment_id))


def who(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"<at>{escape(person.name)}</at>" if person.id else escape(person.name)


def _input(q: Question, f: Field, current: Any) -> dict[str, Any]:
    field_id = f"{q.key}.{f.key}"
    if f.kind in (Kind.CHOICE, Kind.CHECKLIST):
        made: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "id": field_id,
            "style": "expanded",
            "isMultiSelect": f.kind is Kind.CHECKLIST,
            "choices": [{"title": o.label, "value": o.key} for o in f.options],
        }
        if current:
            made["value"] = ",".join(current) if f.kind is Kind.CHECKLIST else current
    elif f.kind is Kind.DATE:
        made = {"type": "Input.Date", "id": field_id}
        if current:
            made["value"] = current
    else:
        made = {"type": "Input.Text", "id": field_id, "maxLength": MAX_TEXT, "isMultiline": f.key in ("notes", "problem", "statement")}
        if f.hint:
            made["placeholder"] = f.hint
        shown = (
            format_money(current) if f.kind is Kind.MONEY and current else (current or {}).get("name") if f.kind is Kind.PERSON else current
        )
        if shown:
            made["value"] = clip(str(shown), MAX_TEXT)
    made["label"] = f.label
    made["isRequired"] = f.required and f.kind is not Kind.CHECKLIST
    return made


def answer_card(
    q: Question, *, assessment_id: int, current: Mapping[str, Any] | None, title: str | None = None, actions: tuple[Action, ...] = ()
) -> dict[str, Any]:
    """A question with its inputs, filled with the current answer, and Save."""
    body = [text(escape(title or f"Question {q.number} of {TOTAL}"), weight="Bolder")]
    body += [text(escape(q.text), size="Medium", weight="Bolder"), text(escape(q.help), isSubtle=True)]
    body += [_input(q, f, (current or {}).get(f.key)) for f in q.fields]
    buttons = [submit("Save", pf="answer", a=assessment_id, q=q.key)] + [press(a, assessment_id=assessment_id) for a in actions]
    return card(body, buttons)


def question_card(reply: Reply, *, assessment_id: int, current: Mapping[str, Any] | None) -> dict[str, Any]:
    return answer_card(BY_KEY[reply.question or ""], assessment_id=assessment_id, current=current, title=reply.title, actions=reply.actions)


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
    """The card at the top: project, people, progress, score, gaps."""
    result = score(state.values)
    finished = state.stage is Stage.FINISHED
    body: list[dict[str, Any]] = [
        text(f"AI readiness: {escape(state.project)}", size="Large", weight="Bolder"),
        {
            "type": "FactSet",
            "facts": [
                {"title": "Sponsor", "value": who(state.sponsor)},
                {"title": "Production owner", "value": who(state.owner)},
                {"title": "Progress", "value": "finished" if finished else f"{result.answered} of {TOTAL} answered"},
                {"title": "Score" if finished else "Score so far", "value": f"{result.percent}% · {result.level.value}"},
            ],
        },
        text("Blocking gaps: " + (", ".join(GAP_LABELS[g] for g in result.gaps) or "none")),
    ]
    if finished:
        body.append(text(escape(result.explanation()), isSubtle=True))
        body += [text(f"• **{w.number}. {escape(w.title)}**: {escape(w.recommendation)}") for w in result.weaknesses]
    action = Action("Reopen", Verb.REOPEN) if finished else Action("Continue", Verb.RESUME)
    people = tuple(p for p in (state.sponsor, state.owner) if p is not None)
    return card(body, [press(action, assessment_id=assessment_id)], mentions=people)


def gaps_card(*, assessment_id: int, gaps: tuple[str, ...], answers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Exactly the fields that close the open blocking gaps."""
    body: list[dict[str, Any]] = [text("Fill in what is missing for production. Everything else stays as it is.", weight="Bolder")]
    for gap in gaps:
        for question, key in GAP_FIELDS[gap]:
            q = BY_KEY[question]
            field = _input(q, q.field(key), (answers.get(question) or {}).get(key))
            field["isRequired"] = True
            body.append(field)
    return card(body, [submit("Save", pf="gaps", a=assessment_id)])


def notice_card(notice: Notice) -> dict[str, Any]:
    body = [text(escape(notice.title), weight="Bolder")] + [text(escape(line)) for line in notice.lines]
    if notice.people:
        body.append(text("For " + ", ".join(who(p) for p in notice.people), isSubtle=True))
    actions = [press(a, assessment_id=notice.assessment_id) for a in notice.actions] if notice.assessment_id is not None else []
    return card(body, actions, mentions=notice.people)


def fields_from(q: Question, value: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted card's inputs for one question, in the shapes the core reads."""
    raw: dict[str, Any] = {}
    for f in q.fields:
        given = value.get(f"{q.key}.{f.key}")
        if f.kind is Kind.CHECKLIST:
            raw[f.key] = [v for v in str(given or "").split(",") if v]
        elif f.kind is Kind.PERSON and isinstance(given, str) and given.strip():
            raw[f.key] = given
        else:
            raw[f.key] = given
    return raw
