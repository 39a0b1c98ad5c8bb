"""A workspace's reminder and digest settings as a form submits them: read, checked, explained."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import time, timedelta

from conversations.schedule import Settings, valid_zone

TIMES = ("nudge_at", "work_start", "work_end", "digest_at")

STALL_HOURS = (4, 8, 24, 48, 72)
STOP_AFTER = tuple(range(3, 13))  # reminders with no change before the channel hears no more
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def read_settings(values: Mapping[str, str]) -> tuple[Settings | None, dict[str, str]]:
    """Settings from submitted text values by field, or the errors to show next to the fields."""

    def value(name: str) -> str:
        return str(values.get(name) or "").strip()

    errors: dict[str, str] = {}
    tz = value("tz")
    if not valid_zone(tz):
        errors["tz"] = f"'{tz[:40]}' is not a time zone I know; use a name like Europe/Berlin."
    try:
        times = {k: time.fromisoformat(value(k)) for k in TIMES}
    except ValueError:
        return None, {**errors, "nudge_at": "Pick the times from the lists."}
    if not times["work_start"] < times["work_end"]:
        errors["work_end"] = "The working day must end after it starts."
    elif not times["work_start"] <= times["nudge_at"] < times["work_end"]:
        errors["nudge_at"] = "Reminders must fall inside the working day."
    numbers = {}
    for name, allowed in (
        ("nudge_every", range(1, 6)),
        ("stall_hours", STALL_HOURS),
        ("escalate_after", range(1, 11)),
        ("digest_weekday", range(7)),
        ("stop_after", STOP_AFTER),
    ):
        text = value(name)
        if not text.isdigit() or int(text) not in allowed:
            errors[name] = "Pick one of the options."
        else:
            numbers[name] = int(text)
    if errors:
        return None, errors
    return (
        Settings(
            tz=tz,
            nudge_every=numbers["nudge_every"],
            nudge_at=times["nudge_at"],
            work_start=times["work_start"],
            work_end=times["work_end"],
            stall_after=timedelta(hours=numbers["stall_hours"]),
            escalate_after=numbers["escalate_after"],
            digest_weekday=numbers["digest_weekday"],
            digest_at=times["digest_at"],
            stop_after=numbers["stop_after"],
        ),
        {},
    )


def chosen(settings: Settings, *, current: Settings, by: str) -> Settings:
    """Settings an admin saved: a zone they changed is theirs from now on; one they left keeps where it came from."""
    if settings.tz == current.tz:
        return replace(settings, tz_source=current.tz_source, tz_by=current.tz_by)
    return replace(settings, tz_source="settings", tz_by=by)


def zone_origin(settings: Settings) -> str:
    """The workspace's zone and where it came from, as the settings show it."""
    if settings.tz_source == "settings":
        return f"Channel reminders follow {settings.tz}, chosen here by {settings.tz_by or 'an admin'}."
    if settings.tz_source == "platform":
        return f"Channel reminders follow {settings.tz}: {settings.tz_by or 'the first person'}'s own time zone, as their chat app reported it."
    if settings.tz_source == "default":
        return f"Channel reminders follow {settings.tz}, the default: the chat app did not tell anyone's time zone. Choose yours below."
    return (
        f"Channel reminders follow {settings.tz} for now: the first person to start a check here lends theirs once the "
        "scheduler has asked. Choose one below to settle it."
    )
