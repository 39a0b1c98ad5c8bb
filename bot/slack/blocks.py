"""Neutral messages to Block Kit: escaped once, and within Slack's limits however long the answers."""

from __future__ import annotations

import json
from typing import Any

from conversations import layout
from conversations.messages import Action
from conversations.people import Person
from conversations.text import chunks, clip

MAX_TEXT = 3000  # section text
MAX_BLOCKS = 50
MAX_BUTTON = 75
MAX_HEADER = 150
MAX_VALUE = 2000
MAX_FIELDS = 10


def escape(text: str) -> str:
    """Slack's three control characters; after this, user text cannot mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}


def value(action: Action, *, assessment_id: int | None) -> str:
    """A button's value: the typed action as compact JSON, checked against Slack's limit."""
    encoded = json.dumps(action.data(assessment_id=assessment_id), separators=(",", ":"))
    if len(encoded) > MAX_VALUE:
        raise ValueError("button value too long")
    return encoded


def button(action: Action, *, assessment_id: int | None, index: int = 0, primary: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(action.label, MAX_BUTTON), "emoji": True},
        "action_id": f"pf_{action.verb.value}_{index}",
        "value": value(action, assessment_id=assessment_id),
    }
    if primary:
        element["style"] = "primary"
    return element


def who(person: Person | None) -> str:
    if person is None:
        return "—"
    return f"<@{person.id}>" if person.id and person.id.isalnum() else escape(person.name)


def text_of(part: layout.Text) -> str:
    lead = f"*{escape(part.lead)}*" if part.lead else ""
    return ("\n", " ")[part.run_in].join(p for p in (lead, escape(part.text)) if p)


def _drawn(part: layout.Part, *, assessment_id: int | None) -> list[dict[str, Any]]:
    if isinstance(part, layout.Heading):
        return [{"type": "header", "text": {"type": "plain_text", "text": clip(part.text, MAX_HEADER)}}]
    if isinstance(part, layout.Text):
        kind = "context" if part.subtle else "section"
        pieces = chunks(text_of(part), MAX_TEXT - 200)
        return [{"type": kind, "elements": [mrkdwn(p)]} if part.subtle else {"type": kind, "text": mrkdwn(p)} for p in pieces if p]
    if isinstance(part, layout.Facts):
        fields = [mrkdwn(f"*{escape(label)}*\n{escape(v) if isinstance(v, str) else who(v)}") for label, v in part.pairs]
        return [{"type": "section", "fields": fields[:MAX_FIELDS]}]
    if isinstance(part, layout.People):
        return [
            {"type": "context", "elements": [mrkdwn(f"{escape(part.lead)} {', '.join(who(p) for p in part.people)}{escape(part.tail)}")]}
        ]
    if isinstance(part, layout.Buttons):
        elements = [
            button(a, assessment_id=assessment_id, index=i, primary=part.primary and i == 0) for i, a in enumerate(part.actions[:25])
        ]
        return [{"type": "actions", "elements": elements}] if elements else []
    if isinstance(part, layout.Menu):
        options = [
            {"text": {"type": "plain_text", "text": clip(a.label, 75)}, "value": value(a, assessment_id=assessment_id)}
            for a in part.actions
        ]
        menu = {"type": "static_select", "action_id": "pf_pick_menu", "placeholder": {"type": "plain_text", "text": part.label}}
        return [{"type": "actions", "elements": [{**menu, "options": options[:100]}]}]
    raise ValueError(f"Slack messages do not hold {type(part).__name__}: forms open as modals")


def blocks_of(message: layout.Message) -> list[dict[str, Any]]:
    made = [block for part in message.parts for block in _drawn(part, assessment_id=message.assessment_id)]
    if len(made) <= MAX_BLOCKS:
        return made
    return [*made[: MAX_BLOCKS - 1], {"type": "context", "elements": [mrkdwn("(shortened: open `/readiness status` for the rest)")]}]


def summary(message: layout.Message) -> str:
    """The fallback text of a message (notifications, screen readers)."""
    return clip(escape(message.summary), MAX_TEXT)


def drawn(message: layout.Message) -> dict[str, Any]:
    """A message as the Web API's chat methods take it: its fallback text and its blocks."""
    return {"text": summary(message), "blocks": blocks_of(message)}
