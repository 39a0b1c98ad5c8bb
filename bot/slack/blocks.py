"""Neutral replies to Block Kit: escaped, and within Slack's limits however long the answers."""

from __future__ import annotations

import json
from typing import Any

from conversations.machine import Stage, State
from conversations.messages import Reply, Tone
from conversations.people import Person
from conversations.questions import BY_KEY, QUESTIONS, TOTAL
from conversations.scoring import GAP_LABELS, score
from conversations.text import chunks as split
from conversations.text import clip

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


def value(**fields: Any) -> str:
    """A button value: compact JSON, checked against Slack's limit."""
    encoded = json.dumps(fields, separators=(",", ":"))
    if len(encoded) > MAX_VALUE:
        raise ValueError("button value too long")
    return encoded


def button(text: str, action_id: str, payload: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON), "emoji": True},
        "action_id": action_id,
        "value": payload,
    }
    if style:
        element["style"] = style
    return element


def who(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"<@{person.id}>" if person.id and person.id.isalnum() else escape(person.name)


def limit_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return blocks[: MAX_BLOCKS - 1] + [context("(shortened: open `/readiness status` for the rest)")]


def plain(reply: Reply) -> str:
    """The fallback text of a message (notifications, screen readers)."""
    return clip(escape(reply.text), MAX_TEXT)


def question_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    q = BY_KEY[reply.question or ""]
    title, _, rest = reply.body.partition("\n")
    blocks = [section(f"*{escape(reply.title)}*\n*{escape(title)}*\n{escape(rest)}")]
    buttons = [
        button(c.label, f"pf_choice_{i}", value(a=assessment_id, q=q.key, v=c.value))
        for i, c in enumerate(reply.choices)
    ]
    more = "Add details…" if buttons else "Answer…"
    buttons.append(button(more, "pf_form", value(a=assessment_id, q=q.key), style=None if reply.choices else "primary"))
    for action in reply.actions:
        buttons.append(button(action.label, f"pf_cmd_{action.command}", value(a=assessment_id, c=action.command, q=q.key)))
    blocks.append({"type": "actions", "block_id": f"q:{q.key}", "elements": buttons[:25]})
    return blocks


def saved_blocks(reply: Reply, *, assessment_id: int, by: Person) -> list[dict[str, Any]]:
    q = BY_KEY[reply.question or ""]
    text = f"✅ *{q.number}. {escape(q.title)}*: {escape(reply.body)}\nAnswered by {who(by)}"
    blocks = [section(text)]
    buttons = [button("Change", "pf_cmd_edit", value(a=assessment_id, c=f"edit {q.number}"))]
    for action in reply.actions:
        if action.command.startswith("edit "):
            buttons = [button(action.label, "pf_form", value(a=assessment_id, q=q.key), style="primary")]
    blocks.append({"type": "actions", "elements": buttons})
    return blocks


def note_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    """Information, confirmations, errors: the text and any buttons."""
    text = escape(reply.title) if not reply.body else f"*{escape(reply.title)}*\n{escape(reply.body)}"
    blocks = [section(text)]
    buttons = [
        button(a.label, f"pf_cmd_{a.command.split()[0]}_{i}", value(a=assessment_id, c=a.command))
        for i, a in enumerate(reply.actions)
        if not a.command.startswith("edit ")
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons[:25]})
    return blocks


def review_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}}]
    blocks += [section(escape(chunk)) for chunk in chunks(reply.body)]
    elements = [
        button(a.label, f"pf_cmd_{a.command}", value(a=assessment_id, c=a.command), style="primary")
        for a in reply.actions
        if not a.command.startswith("edit ")
    ]
    elements.append(edit_menu(assessment_id))
    blocks.append({"type": "actions", "elements": elements})
    return limit_blocks(blocks)


def edit_menu(assessment_id: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": "pf_edit",
        "placeholder": {"type": "plain_text", "text": "Change an answer…"},
        "options": [
            {"text": {"type": "plain_text", "text": clip(f"{q.number}. {q.title}", 75)}, "value": value(a=assessment_id, c=f"edit {q.number}")}
            for q in QUESTIONS
        ],
    }


def summary_blocks(reply: Reply, *, assessment_id: int) -> list[dict[str, Any]]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}}]
    blocks += [section(escape(chunk)) for chunk in chunks(reply.body)]
    blocks.append({"type": "actions", "elements": [button("Reopen", "pf_cmd_reopen", value(a=assessment_id, c="reopen")), edit_menu(assessment_id)]})
    return limit_blocks(blocks)


def card_blocks(state: State, *, assessment_id: int) -> list[dict[str, Any]]:
    """The message at the top of the thread: project, people, progress, score, gaps."""
    card = score(state.values)
    finished = state.stage is Stage.FINISHED
    progress = "finished" if finished else f"{card.answered} of {TOTAL} answered"
    gaps = ", ".join(GAP_LABELS[g] for g in card.gaps) or "none"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(f"AI readiness: {state.project}", MAX_HEADER)}},
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Sponsor*\n{who(state.sponsor)}"),
                mrkdwn(f"*Production owner*\n{who(state.owner)}"),
                mrkdwn(f"*Progress*\n{progress}"),
                mrkdwn(f"*Score{'' if finished else ' so far'}*\n{card.percent}% · {card.level.value}"),
            ],
        },
        section(f"*Blocking gaps:* {gaps}"),
    ]
    if finished:
        blocks.append(section(escape(card.explanation())))
        for w in card.weaknesses:
            blocks.append(section(f"• *{w.number}. {escape(w.title)}*: {escape(w.recommendation)}"))
    blocks.append(context(f"Started by {who(state.started_by)} · the questions are in the thread below"))
    label, command = ("Reopen", "reopen") if finished else ("Continue", "resume")
    blocks.append({"type": "actions", "elements": [button(label, f"pf_cmd_{command}", value(a=assessment_id, c=command))]})
    return limit_blocks(blocks)


def card_text(state: State) -> str:
    card = score(state.values)
    return clip(escape(f"AI readiness: {state.project} · {card.answered} of {TOTAL} answered · {card.percent}%"), MAX_TEXT)


def chunks(text: str) -> list[str]:
    """Long text in pieces that each fit a section."""
    return split(text, MAX_TEXT - 200)
