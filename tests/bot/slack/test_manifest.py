"""manifest.json asks for exactly what the app uses."""

import json
from pathlib import Path

import jsonschema

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


# Slack's published schema for version 1 manifests (see tests/fixtures/slack/README.md for its source).
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "slack" / "manifest.schema.1.0.0.json").read_text())


def schema_errors(manifest: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


def test_the_manifest_is_valid_against_slacks_manifest_schema():
    assert MANIFEST["_metadata"]["major_version"] == 1
    assert schema_errors(MANIFEST) == []


def test_the_schema_check_refuses_what_slack_would():
    broken = json.loads(json.dumps(MANIFEST))
    del broken["features"]["slash_commands"][0]["description"]
    broken["settings"]["interactivity"]["is_enabled"] = "yes"
    broken["settings"]["unknown_setting"] = True
    errors = schema_errors(broken)
    assert len(errors) == 3, errors


def test_the_app_may_be_installed_across_an_enterprise_grid_organisation():
    assert MANIFEST["settings"]["org_deploy_enabled"] is True
