"""Forms as modals (an answer, the gaps, the settings), and a submitted modal back to typed values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import time
from typing import Any

from bot.slack.blocks import clip
from conversations.answers import format_money
from conversations.questions import BY_KEY, MAX_TEXT, Field, Kind, Question
from conversations.schedule import Settings
from conversations.scoring import GAP_FIELDS
from conversations.settings import DAYS, STALL_HOURS
from conversations.shown import Form, FormKind

CALLBACK = "pf_answer_form"
GAPS_CALLBACK = "pf_gaps_form"
SETTINGS_CALLBACK = "pf_settings_form"
MULTILINE = {"notes", "problem", "statement"}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit)}


def _option(label: str, key: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": key}


def _element(f: Field, current: Any) -> dict[str, Any]:
    if f.kind is Kind.CHOICE:
        element: dict[str, Any] = {"type": "radio_buttons", "options": [_option(o.label, o.key) for o in f.options]}
        chosen = next((o for o in f.options if o.key == current), None)
        if chosen:
            element["initial_option"] = _option(chosen.label, chosen.key)
    elif f.kind is Kind.CHECKLIST:
        element = {"type": "checkboxes", "options": [_option(o.label, o.key) for o in f.options]}
        ticked = [_option(o.label, o.key) for o in f.options if o.key in (current or [])]
        if ticked:
            element["initial_options"] = ticked
    elif f.kind is Kind.PERSON:
        element = {"type": "users_select", "placeholder": _plain("Pick a person")}
        if current and current.get("id"):
            element["initial_user"] = current["id"]
    elif f.kind is Kind.DATE:
        element = {"type": "datepicker"}
        if current:
            element["initial_date"] = current
    else:
        element = {"type": "plain_text_input", "multiline": f.key in MULTILINE, "max_length": MAX_TEXT}
        if f.hint:
            element["placeholder"] = _plain(f.hint, 150)
        shown = format_money(current) if f.kind is Kind.MONEY and current else current
        if shown:
            element["initial_value"] = clip(str(shown), MAX_TEXT)
    element["action_id"] = "value"
    return element


def view(*, callback: str, title: str, blocks: list[dict[str, Any]], metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A modal with Save and Cancel; `metadata` comes back with the submission."""
    return {
        "type": "modal",
        "callback_id": callback,
        "private_metadata": json.dumps(dict(metadata or {}), separators=(",", ":")),
        "title": _plain(title, 24),
        "submit": _plain("Save", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks,
    }


def _input(f: Field, current: Any, *, block_id: str, optional: bool) -> dict[str, Any]:
    block = {"type": "input", "block_id": block_id, "label": _plain(f.label, 2000), "element": _element(f, current), "optional": optional}
    if f.kind is Kind.MONEY:
        block["hint"] = _plain("An amount with a currency, e.g. 120000 EUR" + (", or 'not allocated'" if optional else ""), 2000)
    return block


def modal(q: Question, *, current: Mapping[str, Any] | None, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The form for one question, filled with the current answer."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(f"*{q.text}*\n{q.help}", 3000)}},
    ]
    # Ticking nothing is an answer ("none in place"), which a required checkbox group cannot give.
    blocks += [_input(f, (current or {}).get(f.key), block_id=f.key, optional=not f.required or f.kind is Kind.CHECKLIST) for f in q.fields]
    return view(callback=CALLBACK, title=f"Question {q.number} of 8", blocks=blocks, metadata=metadata)


def gaps_modal(*, gaps: tuple[str, ...], answers: Mapping[str, Mapping[str, Any]], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """One form with exactly the fields that close the open blocking gaps."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Fill in what is missing for production. Everything else stays as it is."}}
    ]
    blocks += [
        _input(BY_KEY[question].field(key), (answers.get(question) or {}).get(key), block_id=f"{question}.{key}", optional=False)
        for gap in gaps
        for question, key in GAP_FIELDS[gap]
    ]
    return view(callback=GAPS_CALLBACK, title="Close the gaps", blocks=blocks, metadata=metadata)


def gap_values(state_values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """A submitted gaps form, by question then field."""
    out: dict[str, dict[str, Any]] = {}
    for block_id in state_values:
        question, _, key = block_id.partition(".")
        if question in BY_KEY and key:
            q = BY_KEY[question]
            out.setdefault(question, {}).update(
                {k: v for k, v in submitted(q, {key: state_values[block_id]}, names={}).items() if k == key}
            )
    return out


def submitted(q: Question, state_values: Mapping[str, Mapping[str, Any]], *, names: Mapping[str, str]) -> dict[str, Any]:
    """Form values by field key, in the shapes the core reads."""
    raw: dict[str, Any] = {}
    for f in q.fields:
        element = (state_values.get(f.key) or {}).get("value") or {}
        kind = element.get("type")
        if kind in ("radio_buttons", "static_select"):
            raw[f.key] = (element.get("selected_option") or {}).get("value")
        elif kind == "checkboxes":
            raw[f.key] = [o["value"] for o in element.get("selected_options") or []]
        elif kind == "users_select":
            user = element.get("selected_user")
            raw[f.key] = {"id": user, "name": names.get(user, user)} if user else None
        elif kind == "datepicker":
            raw[f.key] = element.get("selected_date")
        else:
            raw[f.key] = element.get("value")
    return raw


def question_of(metadata: Mapping[str, Any]) -> Question | None:
    return BY_KEY.get(str(metadata.get("q")))


def modal_of(form: Form, *, message_ts: str | None) -> dict[str, Any]:
    """The modal for a form the core asked to open."""
    if form.kind is FormKind.ANSWER:
        metadata = {"a": form.assessment_id, "q": form.question, "m": message_ts}
        return modal(BY_KEY[form.question or ""], current=form.current, metadata=metadata)
    if form.kind is FormKind.GAPS:
        return gaps_modal(gaps=form.gaps, answers=form.answers, metadata={"a": form.assessment_id})
    assert form.settings is not None
    return settings_modal(form.settings)


def _select(block_id: str, label: str, options: list[tuple[str, str]], initial: str) -> dict[str, Any]:
    opts = [{"text": _plain(text), "value": value} for text, value in options]
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": opts}
    chosen = next((o for o in opts if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return {"type": "input", "block_id": block_id, "label": _plain(label), "element": element}


def _time(block_id: str, label: str, initial: time) -> dict[str, Any]:
    element = {"type": "timepicker", "action_id": "value", "initial_time": initial.strftime("%H:%M")}
    return {"type": "input", "block_id": block_id, "label": _plain(label), "element": element}


def settings_modal(settings: Settings) -> dict[str, Any]:
    stall = str(int(settings.stall_after.total_seconds() // 3600))
    blocks = [
        {
            "type": "input",
            "block_id": "tz",
            "label": _plain("Time zone for channel reminders"),
            "hint": _plain("An IANA name, e.g. Europe/Berlin or America/New_York. Digests use each sponsor's own zone.", 150),
            "element": {"type": "plain_text_input", "action_id": "value", "initial_value": settings.tz},
        },
        _select(
            "nudge_every",
            "Remind about open gaps every",
            [(f"{n} business day{'s' * (n > 1)}", str(n)) for n in range(1, 6)],
            str(settings.nudge_every),
        ),
        _time("nudge_at", "Reminders at", settings.nudge_at),
        _time("work_start", "Working day starts", settings.work_start),
        _time("work_end", "Working day ends", settings.work_end),
        _select("stall_hours", "Remind about unfinished checks after", [(f"{h} hours", str(h)) for h in STALL_HOURS], stall),
        _select(
            "escalate_after",
            "Tell the sponsor after",
            [(f"{n} reminder{'s' * (n > 1)} with no change", str(n)) for n in range(1, 11)],
            str(settings.escalate_after),
        ),
        _select("digest_weekday", "Weekly digest on", [(d, str(i)) for i, d in enumerate(DAYS)], str(settings.digest_weekday)),
        _time("digest_at", "Weekly digest at", settings.digest_at),
    ]
    return view(callback=SETTINGS_CALLBACK, title="Preflight settings", blocks=blocks)


def plain_values(state_values: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """A submitted modal of single values (the settings), as text by block."""
    out = {}
    for block, entries in state_values.items():
        element = (entries or {}).get("value") or {}
        if isinstance(element, Mapping):
            found = element.get("value") or element.get("selected_time") or (element.get("selected_option") or {}).get("value")
            out[str(block)] = str(found or "")
    return out
