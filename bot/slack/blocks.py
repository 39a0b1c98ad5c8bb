"""Neutral replies to Block Kit: escaped, and within Slack's limits however long the answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from conversations.machine import State
from conversations.messages import Action, Reply, Tone, Verb
from conversations.people import Person
from conversations.ports import Listing
from conversations.questions import BY_KEY, QUESTIONS
from conversations.scoring import GAP_LABELS
from conversations.text import chunks as split
from conversations.text import clip
from conversations.views import card_view

MAX_TEXT = 3000  # section text
MAX_BLOCKS = 50
MAX_BUTTON = 75
MAX_HEADER = 150
MAX_VALUE = 2000


def escape(text: str) -> str:
    """Slack's three control characters; after this, user text cannot mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def value(action: Action, *, assessment_id: int | None) -> str:
    """A button's value: the typed action as compact JSON, checked against Slack's limit."""
    encoded = json.dumps(action.data(assessment_id=assessment_id), separators=(",", ":"))
    if len(encoded) > MAX_VALUE:
        raise ValueError("button value too long")
    return encoded


def button(action: Action, *, assessment_id: int | None, index: int = 0, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(action.label, MAX_BUTTON), "emoji": True},
        "action_id": f"pf_{action.verb.value}_{index}",
        "value": value(action, assessment_id=assessment_id),
    }
    if style:
        element["style"] = style
    return element


def buttons(actions: Sequence[Action], *, assessment_id: int | None, style: str | None = None) -> list[dict[str, Any]]:
    return [button(a, assessment_id=assessment_id, index=i, style=style) for i, a in enumerate(actions)][:25]


def who(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"<@{person.id}>" if person.id and person.id.isalnum() else escape(person.name)


def limit_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 1], context("(shortened: open `/readiness status` for the rest)")]


def plain(reply: Reply) -> str:
    """The fallback text of a message (notifications, screen readers)."""
    return clip(escape(reply.text), MAX_TEXT)


def question_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    q = BY_KEY[reply.question or ""]
    title, _, rest = reply.body.partition("\n")
    made = [section(f"*{escape(reply.title)}*\n*{escape(title)}*\n{escape(rest)}")]
    answer = Action("Add details…" if reply.choices else "Answer…", Verb.ANSWER, question=q.key)
    elements = buttons([*reply.choice_actions(), answer, *reply.actions], assessment_id=assessment_id)
    if not reply.choices:
        elements[0]["style"] = "primary"
    made.append({"type": "actions", "block_id": f"q:{q.key}", "elements": elements})
    return made


def saved_blocks(reply: Reply, *, assessment_id: int, by: Person) -> list[dict[str, Any]]:
    q = BY_KEY[reply.question or ""]
    made = [section(f"✅ *{q.number}. {escape(q.title)}*: {escape(reply.body)}\nAnswered by {who(by)}")]
    if reply.actions:  # a draft: straight to its form
        action, style = Action(reply.actions[0].label, Verb.ANSWER, question=q.key), "primary"
    else:
        action, style = Action("Change", Verb.EDIT, number=q.number), None
    made.append({"type": "actions", "elements": buttons([action], assessment_id=assessment_id, style=style)})
    return made


def note_blocks(reply: Reply, *, assessment_id: int | None) -> list[dict[str, Any]]:
    """Information, confirmations, errors: the text and any buttons."""
    text = escape(reply.title) if not reply.body else f"*{escape(reply.title)}*\n{escape(reply.body)}"
    made = [section(text)]
    shown = [a for a in reply.actions if a.verb is not Verb.EDIT]
    if shown and assessment_id is not None:
        made.append({"type": "actions", "elements": buttons(shown, assessment_id=assessment_id)})
    return made


def review_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}}]
    made += [section(escape(chunk)) for chunk in chunks(reply.body)]
    elements = buttons([a for a in reply.actions if a.verb is not Verb.EDIT], assessment_id=assessment_id, style="primary")
    elements.append(edit_menu(assessment_id))
    made.append({"type": "actions", "elements": elements})
    return limit_blocks(made)


def edit_menu(assessment_id: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "pf_edit_menu",
        "placeholder": {"type": "plain_text", "text": "Change an answer…"},
        "options": [
            {
                "text": {"type": "plain_text", "text": clip(f"{q.number}. {q.title}", 75)},
                "value": value(Action("", Verb.EDIT, number=q.number), assessment_id=assessment_id),
            }
            for q in QUESTIONS
        ],
    }


def summary_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}}]
    made += [section(escape(chunk)) for chunk in chunks(reply.body)]
    made.append({"type": "actions", "elements": [*buttons(reply.actions, assessment_id=assessment_id), edit_menu(assessment_id)]})
    return limit_blocks(made)


def reply_blocks(reply: Reply, *, assessment_id: int | None, by: Person) -> list[dict[str, Any]]:
    """Any reply, drawn by its tone."""
    if assessment_id is None:
        return note_blocks(reply, assessment_id=None)
    if reply.tone is Tone.SAVED:
        return saved_blocks(reply, assessment_id=assessment_id, by=by)
    draw = {Tone.QUESTION: question_blocks, Tone.REVIEW: review_blocks, Tone.SUMMARY: summary_blocks}.get(reply.tone, note_blocks)
    return draw(reply, assessment_id=assessment_id)


def card_blocks(state: State, *, assessment_id: int) -> list[dict[str, Any]]:
    """The message at the top of the thread, as the core describes it."""
    view = card_view(state)
    fields = [mrkdwn(f"*{label}*\n{who(v) if not isinstance(v, str) else escape(v)}") for label, v in view.facts]
    label, _, gaps = view.gaps.partition(": ")
    made: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(view.title, MAX_HEADER)}},
        {"type": "section", "fields": fields},
        section(f"*{escape(label)}:* {escape(gaps)}"),
    ]
    made += [section(escape(line)) for line in view.details]
    made.append(context(f"Started by {who(view.started_by)} · the questions are in the thread below"))
    made.append({"type": "actions", "elements": buttons([view.action], assessment_id=assessment_id)})
    return limit_blocks(made)


def card_text(state: State) -> str:
    return clip(escape(card_view(state).summary), MAX_TEXT)


def chunks(text: str) -> list[str]:
    """Long text in pieces that each fit a section."""
    return split(text, MAX_TEXT - 200)


MAX_SHOWN = 15  # three blocks each, within Slack's limit for a Home tab


def home_view(listed: list[Listing]) -> dict[str, Any]:
    """The App Home tab: the checks a person started, owns or sponsors."""
    made: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your AI readiness checks"}},
        context("Checks you started, own or sponsor. Start one in any channel with `/readiness start <project>`."),
    ]
    if not listed:
        made.append(section("Nothing yet."))
    for item in listed[:MAX_SHOWN]:
        gaps = ", ".join(GAP_LABELS[g] for g in item.gaps) or "none"
        made.append({"type": "divider"})
        made.append(
            {
                "type": "section",
                "text": mrkdwn(f"*{escape(item.project)}*\n{escape(str(item))} · {item.level}\nOpen gaps: {gaps}"),
                "accessory": button(Action("Continue", Verb.RESUME), assessment_id=item.id, style="primary"),
            }
        )
    return {"type": "home", "blocks": limit_blocks(made)}
