"""/readiness settings: the workspace's reminder and digest settings, in a modal for admins."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any, Mapping

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import forms
from conversations.schedule import Settings, valid_zone

CALLBACK = "pf_settings_form"
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STALL_HOURS = [4, 8, 24, 48, 72]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _select(block_id: str, label: str, options: list[tuple[str, str]], initial: str, hint: str | None = None) -> dict[str, Any]:
    opts = [{"text": _plain(text), "value": value} for text, value in options]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {"type": "static_select", "action_id": "value", "options": opts, "initial_option": next(o for o in opts if o["value"] == initial)},
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _time(block_id: str, label: str, initial: time) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {"type": "timepicker", "action_id": "value", "initial_time": initial.strftime("%H:%M")},
    }


def modal(settings: Settings) -> dict[str, Any]:
    blocks = [
        {
            "type": "input",
            "block_id": "tz",
            "label": _plain("Time zone for channel reminders"),
            "hint": _plain("An IANA name, e.g. Europe/Berlin or America/New_York. Digests use each sponsor's own zone."),
            "element": {"type": "plain_text_input", "action_id": "value", "initial_value": settings.tz},
        },
        _select("nudge_every", "Remind about open gaps every", [(f"{n} business day{'s' * (n > 1)}", str(n)) for n in range(1, 6)], str(settings.nudge_every)),
        _time("nudge_at", "Reminders at", settings.nudge_at),
        _time("work_start", "Working day starts", settings.work_start),
        _time("work_end", "Working day ends", settings.work_end),
        _select("stall_hours", "Remind about unfinished checks after", [(f"{h} hours", str(h)) for h in STALL_HOURS], str(int(settings.stall_after.total_seconds() // 3600)) if int(settings.stall_after.total_seconds() // 3600) in STALL_HOURS else "24"),
        _select("escalate_after", "Tell the sponsor after", [(f"{n} reminder{'s' * (n > 1)} with no change", str(n)) for n in range(1, 11)], str(settings.escalate_after)),
        _select("digest_weekday", "Weekly digest on", [(d, str(i)) for i, d in enumerate(DAYS)], str(settings.digest_weekday)),
        _time("digest_at", "Weekly digest at", settings.digest_at),
    ]
    return forms.view(callback=CALLBACK, title="Preflight settings", blocks=blocks)


def read(values: Mapping[str, Mapping[str, Any]]) -> tuple[Settings | None, dict[str, str]]:
    """Settings from a submitted modal, or the errors to show next to the fields."""

    def value(block: str) -> str:
        element = (values.get(block) or {}).get("value") or {}
        return str(element.get("value") or element.get("selected_time") or (element.get("selected_option") or {}).get("value") or "").strip()

    errors: dict[str, str] = {}
    tz = value("tz")
    if not valid_zone(tz):
        errors["tz"] = f"'{tz[:40]}' is not a time zone I know; use a name like Europe/Berlin."
    try:
        times = {k: time.fromisoformat(value(k)) for k in ("nudge_at", "work_start", "work_end", "digest_at")}
    except ValueError:
        return None, {**errors, "nudge_at": "Pick the times from the lists."}
    if not times["work_start"] < times["work_end"]:
        errors["work_end"] = "The working day must end after it starts."
    elif not times["work_start"] <= times["nudge_at"] < times["work_end"]:
        errors["nudge_at"] = "Reminders must fall inside the working day."
    if errors:
        return None, errors
    return (
        Settings(
            tz=tz,
            nudge_every=int(value("nudge_every")),
            nudge_at=times["nudge_at"],
            work_start=times["work_start"],
            work_end=times["work_end"],
            stall_after=timedelta(hours=int(value("stall_hours"))),
            escalate_after=int(value("escalate_after")),
            digest_weekday=int(value("digest_weekday")),
            digest_at=times["digest_at"],
        ),
        {},
    )


async def is_admin(client: AsyncWebClient, user_id: str) -> bool:
    """Workspace admins and owners may change the settings."""
    try:
        found = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError:
        return False
    return bool(found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner"))
