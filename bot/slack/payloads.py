"""Slack's payloads to typed input: who acted and where, what they pressed or submitted, and its delivery key."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.slack import forms
from conversations.messages import Action, assessment_id_of, parse_json, read_action
from conversations.people import Person
from conversations.shown import Actor

PLATFORM = "slack"
PREFIX = "/readiness "
MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
ANGLED = re.compile(r"<([^<>]*)>")  # a mention, channel, link or special mention, as Slack writes it
INTERACTIONS = ("block_actions", "view_submission")  # what the listeners in receive.py take, with events and the command
SLACK_ONLY = ("url_verification", "app_rate_limited")  # answered by Bolt itself


def problem_of(body: Any) -> str | None:
    """Why a parsed request body is not one Slack sends Preflight; None if it may be."""
    if not isinstance(body, dict):
        return "not a JSON object or a form"
    kind = body.get("type")
    if kind is None:
        return None if isinstance(body.get("command"), str) or "ssl_check" in body else "neither a command, an interaction nor an event"
    if kind == "event_callback":
        event = body.get("event")
        return None if isinstance(event, dict) and isinstance(event.get("type"), str) else "event is not an object with a type"
    if kind in SLACK_ONLY:
        return None
    if kind not in INTERACTIONS:
        return "a type Preflight does not take"
    if not isinstance(body.get("user"), dict):
        return "user is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        named = isinstance(actions, list) and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        return None if actions and named else "actions is not a list of actions, each with an action_id"
    view = body.get("view")
    modal = isinstance(view, dict) and view.get("type") == "modal" and isinstance(view.get("callback_id"), str)
    return None if modal else "view is not a modal with a callback_id"


def team_of(body: Mapping[str, Any]) -> str:
    team, user = body.get("team"), body.get("user")
    found = [
        team.get("id") if isinstance(team, Mapping) else None,
        body.get("team_id"),
        user.get("team_id") if isinstance(user, Mapping) else None,
    ]
    return next((f for f in found if isinstance(f, str) and f), "")


def person_of(body: Mapping[str, Any]) -> Person:
    """The person who sent a command (user_id / user_name) or an interaction (user)."""
    user = body.get("user")
    if isinstance(user, Mapping):
        return Person(name=user.get("name") or user.get("username") or user.get("id") or "someone", id=user.get("id"))
    return Person(name=body.get("user_name") or body.get("user_id") or "someone", id=body.get("user_id"))


def channel_of(body: Mapping[str, Any]) -> str:
    channel = body.get("channel")
    return (channel.get("id") if isinstance(channel, Mapping) else None) or body.get("channel_id") or ""


def actor_of(body: Mapping[str, Any], *, is_admin: Callable[[], Awaitable[bool]] | None = None, request: int | None = None) -> Actor:
    return Actor(
        person=person_of(body),
        platform=PLATFORM,
        workspace=team_of(body),
        channel=channel_of(body),
        prefix=PREFIX,
        is_admin=is_admin,
        request=request,
    )


def mentions(text: str) -> tuple[str, list[Person]]:
    """Slash-command text as the person typed it, and the people they mentioned.

    Slack sends it with its three control characters escaped and with mentions, channels and
    links in angle brackets: <@U…|name> is written @name (and the person is kept), <#C…|name>
    #name, <https://…|label> its label, <!here> @here. Unescaped once here; escaped once on the way out.
    """
    found = [Person(name=m.group(2) or m.group(1), id=m.group(1)) for m in MENTION.finditer(text)]

    def written(m: re.Match[str]) -> str:
        inside = m.group(1)
        target, _, label = inside.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return label or target

    typed = ANGLED.sub(written, text)
    return typed.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), found


def action_of(body: Mapping[str, Any]) -> tuple[int, Action] | None:
    """The typed action a button or menu carried; None for anything forged or malformed."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], Mapping) else {}
    selected = action.get("selected_option")
    raw = selected.get("value") if isinstance(selected, Mapping) else action.get("value")
    return read_action(parse_json(raw))


def message_ts(body: Mapping[str, Any]) -> str | None:
    container, message = body.get("container"), body.get("message")
    return (container.get("message_ts") if isinstance(container, Mapping) else None) or (
        message.get("ts") if isinstance(message, Mapping) else None
    )


def view_values(view: Mapping[str, Any]) -> Mapping[str, Any]:
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, Mapping) else {}


def metadata_of(view: Mapping[str, Any]) -> dict[str, Any]:
    found = parse_json(view.get("private_metadata"))
    return found if isinstance(found, dict) else {}


def assessment_of(metadata: Mapping[str, Any]) -> int:
    return assessment_id_of(metadata.get("a"))


def answer_of(view: Mapping[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """A submitted answer form: the assessment, the question and its values."""
    metadata = metadata_of(view)
    question = metadata.get("q")
    return assessment_of(metadata), question if isinstance(question, str) else "", forms.submitted(view_values(view))


def key_of(route: str, body: Mapping[str, Any]) -> str:
    """The delivery key: Slack's retries and replays of one request share it."""
    team = team_of(body)
    if route == "event":
        return f"evt:{body.get('event_id')}"
    if route.startswith("view"):
        view = body.get("view") or {}
        digest = hashlib.sha256(json.dumps(view_values(view), sort_keys=True, default=str).encode()).hexdigest()[:16]
        return f"view:{team}:{view.get('id')}:{digest}"
    if route == "action":
        actions = body.get("actions") or [{}]
        return f"act:{team}:{body.get('trigger_id')}:{actions[0].get('action_id') if isinstance(actions[0], Mapping) else ''}"
    return f"cmd:{team}:{body.get('trigger_id')}"
