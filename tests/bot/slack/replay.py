"""Slack's documented request shapes (tests/fixtures/slack/), replayed signed through the real server.

Only what Slack itself takes from Preflight's messages and modals is filled in: a button's or a
menu's `action_id`, `value` and text and its block's `block_id`, the message's blocks and ts,
a modal's `callback_id`, `private_metadata` and blocks; and the one-use `trigger_id` and
`response_url`. Everything else stays as the fixture has it.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.bot.slack.conftest import Answer, Slack, chosen

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "slack"
_ids = itertools.count(1)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _one_use(slack: Slack, body: dict[str, Any]) -> None:
    n = next(_ids)
    body["trigger_id"] = f"{body['trigger_id']}.{n}"
    if "response_url" in body:
        body["response_url"] = f"{slack.api.base}/respond/replay-{n}"


async def command(slack: Slack, name: str = "command.json", *, text: str | None = None, **fields: str) -> Answer:
    """A slash command; `text` as Slack sends it (escaped, entities in angle brackets)."""
    form = {**load(name), **fields}
    if text is not None:
        form["text"] = text
    _one_use(slack, form)
    return await slack.post(urlencode(form), content_type="application/x-www-form-urlencoded")


async def interact(slack: Slack, payload: dict[str, Any]) -> Answer:
    return await slack.post(urlencode({"payload": json.dumps(payload)}), content_type="application/x-www-form-urlencoded")


def _element(blocks: list[dict[str, Any]], *, label: str | None = None, kind: str = "button") -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks:
        for element in [*block.get("elements", []), *([block["accessory"]] if "accessory" in block else [])]:
            if element.get("type") == kind and (label is None or element.get("text", {}).get("text") == label):
                return block, element
    raise AssertionError(f"no {kind} {label or ''!r} in {json.dumps(blocks)[:500]}")


def _echo(action: dict[str, Any], block: dict[str, Any], element: dict[str, Any]) -> dict[str, Any]:
    """The action as Slack reports it: the element Preflight drew, with its block's id."""
    echoed = {**action, **{k: v for k, v in element.items() if k in ("action_id", "value", "text", "style", "type")}}
    if "block_id" in block:
        echoed["block_id"] = block["block_id"]
    return echoed


async def click(slack: Slack, message: dict[str, Any], label: str, *, name: str = "block_actions_button.json") -> Answer:
    """Press a button in a message Preflight posted (`message` as conftest's Slack.messages() gives it)."""
    payload = load(name)
    block, element = _element(message["blocks"], label=label)
    payload["actions"] = [_echo(payload["actions"][0], block, element)]
    _in_message(payload, message)
    _one_use(slack, payload)
    return await interact(slack, payload)


async def choose(slack: Slack, message: dict[str, Any], option: str, *, name: str = "block_actions_static_select.json") -> Answer:
    """Pick the option of the menu (in a message Preflight posted) whose label starts with `option`."""
    payload = load(name)
    block, element = _element(message["blocks"], kind="static_select")
    picked = next(o for o in element["options"] if o["text"]["text"].startswith(option))
    action = _echo(payload["actions"][0], block, element)
    action["selected_option"] = picked
    action["placeholder"] = element.get("placeholder", action.get("placeholder"))
    action.pop("value", None)
    payload["actions"] = [action]
    _in_message(payload, message)
    _one_use(slack, payload)
    return await interact(slack, payload)


def _in_message(payload: dict[str, Any], message: dict[str, Any]) -> None:
    payload["container"].update(message_ts=message["ts"], channel_id=message["channel"])
    payload["channel"]["id"] = message["channel"]
    payload["message"].update(ts=message["ts"], text=message.get("text") or "", blocks=message["blocks"])
    for holder in (payload["container"], payload["message"]):
        if message.get("thread_ts"):
            holder["thread_ts"] = message["thread_ts"]
        else:
            holder.pop("thread_ts", None)


async def click_home(slack: Slack, home: dict[str, Any], label: str, *, name: str = "block_actions_home.json") -> Answer:
    """Press a button on the App Home tab Preflight published (`home`: the view of views.publish)."""
    payload = load(name)
    block, element = _element(home["blocks"], label=label)
    payload["actions"] = [_echo(payload["actions"][0], block, element)]
    payload["view"]["blocks"] = home["blocks"]
    _one_use(slack, payload)
    return await interact(slack, payload)


def _state(view: dict[str, Any], values: dict[str, Any], examples: dict[str, Any]) -> dict[str, Any]:
    """The modal's state as Slack reports it: per input block, per element, in the fixture's shape for its type."""
    by_type = {entry["type"]: entry for per_block in examples.values() for entry in per_block.values()}
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, given = block["element"], values.get(block["block_id"])
        entry = copy.deepcopy(by_type[element["type"]])
        for key in ("value", "selected_option", "selected_options", "selected_user", "selected_date", "selected_time"):
            entry.pop(key, None)
        entry.update(chosen(element, given))
        state[block["block_id"]] = {element["action_id"]: entry}
    return state


async def submit(slack: Slack, view: dict[str, Any], values: dict[str, Any], *, name: str = "view_submission.json") -> Answer:
    """Submit a modal Preflight opened (`view`: as sent to views.open), its inputs filled by block_id."""
    payload = load(name)
    shown = payload["view"]
    for key in ("callback_id", "private_metadata", "blocks", "title", "submit", "close"):
        if key in view:
            shown[key] = view[key]
    shown["state"] = {"values": _state(view, values, shown["state"]["values"])}
    shown["hash"] = f"{time.time():.6f}.h"
    _one_use(slack, payload)
    return await interact(slack, payload)


async def event(slack: Slack, name: str, *, event_id: str | None = None, **fields: Any) -> Answer:
    body = load(name)
    body.update(fields)
    body["event_id"] = event_id or f"{body['event_id']}x{next(_ids)}"
    body["event_time"] = int(time.time())
    return await slack.post(json.dumps(body), content_type="application/json")
