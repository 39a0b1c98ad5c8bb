"""Forms as modals, and a submitted modal back to {field key: value}."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.slack.blocks import clip, escape
from conversations.questions import MAX_TEXT
from conversations.shown import Form, FormKind
from conversations.views import FormField, Input

CALLBACKS = {FormKind.ANSWER: "pf_answer_form", FormKind.GAPS: "pf_gaps_form", FormKind.SETTINGS: "pf_settings_form"}
CALLBACK, GAPS_CALLBACK, SETTINGS_CALLBACK = CALLBACKS.values()
RADIO_MAX = 5  # more options than this are a menu


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit)}


def _element(f: FormField) -> dict[str, Any]:
    options = [{"text": _plain(label), "value": value} for value, label in f.options]
    chosen = [o for o in options if o["value"] == f.value or (isinstance(f.value, list) and o["value"] in f.value)]
    element: dict[str, Any]
    if f.input is Input.PICK:
        element = {"type": "radio_buttons" if len(options) <= RADIO_MAX else "static_select", "options": options}
        if chosen:
            element["initial_option"] = chosen[0]
    elif f.input is Input.TICK:
        element = {"type": "checkboxes", "options": options}
        if chosen:
            element["initial_options"] = chosen
    elif f.input is Input.PERSON:
        element = {"type": "users_select", "placeholder": _plain(f.hint or "Pick a person")}
        if f.value is not None and f.value.id:
            element["initial_user"] = f.value.id
    elif f.input is Input.DATE:
        element = {"type": "datepicker", **({"initial_date": f.value} if f.value else {})}
    elif f.input is Input.TIME:
        element = {"type": "timepicker", **({"initial_time": f.value} if f.value else {})}
    else:
        element = {"type": "plain_text_input", "multiline": f.input is Input.LONG_TEXT, "max_length": MAX_TEXT}
        if f.value:
            element["initial_value"] = clip(str(f.value), MAX_TEXT)
    element["action_id"] = "value"
    return element


def _input(f: FormField) -> dict[str, Any]:
    block = {"type": "input", "block_id": f.key, "label": _plain(f.label, 2000), "element": _element(f), "optional": not f.required}
    hint = " ".join(h for h in (f.hint if f.input in (Input.TEXT, Input.LONG_TEXT) else "", f.note) if h)
    if hint:  # Slack marks the field "(optional)": say what leaving it empty costs
        block["hint"] = _plain(hint, 2000)
    return block


def modal_of(form: Form, *, message_ts: str | None) -> dict[str, Any]:
    """The modal for a form the core asked to open; its metadata comes back with the submission."""
    spec = form.spec
    first, _, rest = spec.intro.partition("\n")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": clip(f"*{escape(first)}*\n{escape(rest)}", 3000)}}] if first else []
    blocks += [_input(f) for f in spec.fields]
    metadata = {"a": form.assessment_id, "q": form.question, "m": message_ts} if form.kind is FormKind.ANSWER else {"a": form.assessment_id}
    return {
        "type": "modal",
        "callback_id": CALLBACKS[form.kind],
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "title": _plain(spec.title, 24),
        "submit": _plain("Save", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks,
    }


def submitted(state_values: Mapping[str, Any]) -> dict[str, Any]:
    """A submitted modal: each field's value by its key, in the shapes the core reads."""
    raw: dict[str, Any] = {}
    for key, entries in state_values.items():
        element = entries.get("value") if isinstance(entries, Mapping) else None
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind in ("radio_buttons", "static_select"):
            raw[key] = (element.get("selected_option") or {}).get("value")
        elif kind == "checkboxes":
            raw[key] = [o.get("value") for o in element.get("selected_options") or [] if isinstance(o, Mapping)]
        elif kind == "users_select":
            user = element.get("selected_user")
            raw[key] = {"id": user, "name": user} if user else None
        else:
            raw[key] = element.get("selected_date") or element.get("selected_time") or element.get("value")
    return raw
