"""manifest.json asks for exactly what the app uses."""

import json
from pathlib import Path

from bot.slack.app import BOT_SCOPES
from bot.slack.receive import EVENTS

MANIFEST = json.loads((Path(__file__).resolve().parents[3] / "manifest.json").read_text())


def test_the_manifest_asks_for_the_scopes_the_app_requests():
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == BOT_SCOPES


def test_the_slash_command_and_every_url_point_at_the_one_endpoint():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/readiness" and command["should_escape"] is True
    settings = MANIFEST["settings"]
    assert command["url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert settings["interactivity"]["is_enabled"] and settings["interactivity"]["request_url"].endswith("/slack/events")
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")


def test_the_manifest_subscribes_to_the_events_the_app_listens_for():
    assert sorted(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == sorted(EVENTS)
