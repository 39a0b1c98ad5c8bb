"""The settings form: the cap on unanswered reminders, and the zone with where it came from."""

from dataclasses import replace

from conversations.schedule import Settings
from conversations.settings import chosen, read_settings, zone_origin
from conversations.views import settings_form

FORM = {
    "tz": "America/New_York",
    "nudge_every": "2",
    "nudge_at": "10:00",
    "work_start": "09:00",
    "work_end": "18:00",
    "stall_hours": "24",
    "escalate_after": "3",
    "digest_weekday": "0",
    "digest_at": "09:00",
    "stop_after": "8",
}


def test_the_cap_is_read_and_checked():
    settings, errors = read_settings(FORM)
    assert errors == {} and settings is not None and settings.stop_after == 8
    for wrong in ("2", "13", "", "six"):
        assert read_settings({**FORM, "stop_after": wrong}) == (None, {"stop_after": "Pick one of the options."})


def test_a_zone_an_admin_changes_is_theirs_and_one_left_alone_keeps_its_origin():
    found = Settings(tz="America/New_York", tz_source="platform", tz_by="Ana")
    settings, _ = read_settings(FORM)
    assert settings is not None
    kept = chosen(settings, current=found, by="Sam")
    assert (kept.tz_source, kept.tz_by, kept.stop_after) == ("platform", "Ana", 8)
    moved = chosen(replace(settings, tz="Europe/Berlin"), current=found, by="Sam")
    assert (moved.tz, moved.tz_source, moved.tz_by) == ("Europe/Berlin", "settings", "Sam")


def test_the_form_says_which_zone_reminders_follow_and_why():
    assert zone_origin(Settings()).startswith("Channel reminders follow UTC for now: the first person to start a check")
    assert zone_origin(Settings(tz_source="default")).startswith("Channel reminders follow UTC, the default:")
    assert zone_origin(Settings(tz="America/New_York", tz_source="platform", tz_by="Ana")) == (
        "Channel reminders follow America/New_York: Ana's own time zone, as their chat app reported it."
    )
    assert (
        zone_origin(Settings(tz="Asia/Tokyo", tz_source="settings", tz_by="Sam"))
        == "Channel reminders follow Asia/Tokyo, chosen here by Sam."
    )
    form = settings_form(Settings(stop_after=8, tz_source="settings", tz_by="Sam"))
    assert form.intro == "Time zone\nChannel reminders follow UTC, chosen here by Sam."
    (cap,) = [f for f in form.fields if f.key == "stop_after"]
    assert cap.value == "8" and ("6", "6 reminders with no change (then the sponsor's weekly digest)") in cap.options
