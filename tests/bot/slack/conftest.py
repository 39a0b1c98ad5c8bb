"""The real server on loopback, signed Slack requests, and the fake Web API they lead to."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.bootstrap import App, bootstrap
from bot.config import Config
from bot.server import routes
from tests.bot.slack.fake_slack import FakeSlack
from tests.conftest import NOW
from tests.loopback import listen

SECRET = "test-signing-secret"
_triggers = itertools.count(1)


def slash_command(
    text: str, *, trigger: str, response_url: str, team: str = "T1", channel: str = "C1", user: dict[str, str] | None = None
) -> dict[str, str]:
    """/readiness with `text`, as the fields Slack posts for a slash command."""
    user = user or {"id": "UANA", "name": "ana"}
    return {
        "token": "legacy",
        "team_id": team,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "ai-projects",
        "user_id": user["id"],
        "user_name": user["name"],
        "command": "/readiness",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": trigger,
    }


def signed(body: str) -> dict[str, str]:
    """The headers Slack signs a request body with."""
    stamp = str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
    }


@dataclass
class Answer:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass
class Slack:
    """Drives the server the way Slack does: signed posts to /slack/events."""

    url: str
    api: FakeSlack
    core: App
    http: httpx.AsyncClient
    team: str = "T1"
    channel: str = "C1"
    user: dict[str, str] = field(default_factory=lambda: {"id": "UANA", "name": "ana"})

    async def post(self, body: str, *, content_type: str, headers: dict[str, str] | None = None, signed: bool = True) -> Answer:
        sent = {"Content-Type": content_type}
        if signed:
            stamp = str(int(time.time()))
            sent["X-Slack-Request-Timestamp"] = stamp
            sent["X-Slack-Signature"] = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
        sent.update(headers or {})
        response = await self.http.post(self.url + "/slack/events", content=body.encode(), headers=sent)
        return Answer(response.status_code, response.text)

    async def command(
        self,
        text: str,
        *,
        user: dict[str, str] | None = None,
        team: str | None = None,
        channel: str | None = None,
        trigger: str | None = None,
        **kw: Any,
    ) -> Answer:
        user = user or self.user
        form = slash_command(
            text,
            team=team or self.team,
            channel=channel or self.channel,
            user=user,
            trigger=trigger or f"trigger-{next(_triggers)}",
            response_url=f"{self.api.base}/respond/{next(_triggers)}",
        )
        return await self.post(urlencode(form), content_type="application/x-www-form-urlencoded", **kw)

    async def interact(self, payload: dict[str, Any], **kw: Any) -> Answer:
        return await self.post(urlencode({"payload": json.dumps(payload)}), content_type="application/x-www-form-urlencoded", **kw)

    def base_payload(self, kind: str, *, user: dict[str, str] | None = None, team: str | None = None) -> dict[str, Any]:
        user = user or self.user
        team = team or self.team
        return {
            "type": kind,
            "team": {"id": team, "domain": "acme"},
            "api_app_id": "A1",
            "token": "legacy",
            "user": {"id": user["id"], "username": user["name"], "name": user["name"], "team_id": team},
            "trigger_id": f"trigger-{next(_triggers)}",
        }

    async def click(
        self,
        message: dict[str, Any],
        label: str,
        *,
        user: dict[str, str] | None = None,
        team: str | None = None,
        trigger: str | None = None,
    ) -> Answer:
        """Press the button labelled `label` in a message the bot posted."""
        block, element = find_button(message["blocks"], label)
        payload = self.base_payload("block_actions", user=user, team=team)
        if trigger:
            payload["trigger_id"] = trigger
        payload.update(
            container={"type": "message", "message_ts": message["ts"], "channel_id": message["channel"], "is_ephemeral": False},
            channel={"id": message["channel"], "name": "ai-projects"},
            message={"ts": message["ts"], "blocks": message["blocks"], "type": "message"},
            response_url=f"{self.api.base}/respond/{next(_triggers)}",
            actions=[{**element, "block_id": block.get("block_id", "b"), "action_ts": str(time.time())}],
        )
        return await self.interact(payload)

    async def choose(self, message: dict[str, Any], option: str, *, user: dict[str, str] | None = None) -> Answer:
        """Pick an option of a select menu in a message the bot posted."""
        for block in message["blocks"]:
            for element in block.get("elements", []):
                if element.get("type") == "static_select":
                    picked = next(o for o in element["options"] if o["text"]["text"] == option)
                    payload = self.base_payload("block_actions", user=user)
                    payload.update(
                        container={"type": "message", "message_ts": message["ts"], "channel_id": message["channel"]},
                        channel={"id": message["channel"]},
                        message={"ts": message["ts"], "blocks": message["blocks"]},
                        response_url=f"{self.api.base}/respond/{next(_triggers)}",
                        actions=[
                            {
                                "type": "static_select",
                                "action_id": element["action_id"],
                                "block_id": block.get("block_id", "b"),
                                "selected_option": picked,
                                "action_ts": "1",
                            }
                        ],
                    )
                    return await self.interact(payload)
        raise AssertionError(f"no menu with {option!r}")

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        user: dict[str, str] | None = None,
        team: str | None = None,
        view_id: str = "VFORM",
    ) -> Answer:
        """Submit a modal the bot opened, filling each input block by its block_id."""
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element = block["element"]
            state[block["block_id"]] = {"value": {"type": element["type"], **chosen(element, values.get(block["block_id"]))}}
        payload = self.base_payload("view_submission", user=user, team=team)
        payload["view"] = {**view, "id": view_id, "hash": "h1", "state": {"values": state}}
        return await self.interact(payload)

    async def event(self, event: dict[str, Any], *, event_id: str, retry: int | None = None, team: str | None = None) -> Answer:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team or self.team,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return await self.post(body, content_type="application/json", headers=headers)

    def messages(self) -> list[dict[str, Any]]:
        """Every message as it now stands in Slack: posts, with updates applied, oldest first."""
        posted: dict[str, dict[str, Any]] = {}
        for method, params in self.api.calls:
            if method == "chat.postMessage" and "_ts" in params:
                posted[params["_ts"]] = {**params, "ts": params["_ts"]}
            elif method == "chat.update" and params.get("ts") in posted:
                posted[params["ts"]].update(blocks=params.get("blocks"), text=params.get("text"))
        return list(posted.values())

    def last(self, containing: str) -> dict[str, Any]:
        """The newest message whose text contains `containing`."""
        for message in reversed(self.messages()):
            if containing in text_of(message):
                return message
        raise AssertionError(f"no message containing {containing!r}")


def chosen(element: dict[str, Any], given: Any) -> dict[str, Any]:
    """What Slack reports for an input element left holding `given`: an option's value, values, a user, a date, a time or text."""
    kind = element["type"]
    if kind in ("radio_buttons", "static_select"):
        return {"selected_option": next((o for o in element["options"] if o["value"] == given), None)}
    if kind == "checkboxes":
        return {"selected_options": [o for o in element["options"] if o["value"] in (given or [])]}
    key = {"users_select": "selected_user", "datepicker": "selected_date", "timepicker": "selected_time"}.get(kind, "value")
    return {key: given}


def find_button(blocks_: list[dict[str, Any]], label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for block in blocks_:
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return block, element
    labels = [e["text"]["text"] for b in blocks_ for e in b.get("elements", []) if e.get("type") == "button"]
    raise AssertionError(f"no button {label!r}; buttons: {labels}")


def text_of(message: dict[str, Any]) -> str:
    """All the text in a message's blocks."""
    out = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            out.append(block["text"]["text"])
        for f in block.get("fields", []):
            out.append(f["text"])
        for e in block.get("elements", []):
            if isinstance(e.get("text"), str):
                out.append(e["text"])
            elif isinstance(e.get("text"), dict):
                out.append(e["text"]["text"])
    return "\n".join(out)


def slack_config(tmp_path, api: FakeSlack, *, database: str | None = None, **extra: str) -> Config:
    env = {
        "DATABASE_URL": database or f"sqlite:///{tmp_path / 'preflight.db'}",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": api.url,
        **extra,
    }
    return Config.from_env(env)


@pytest.fixture
async def slack(tmp_path, api):
    """A running Preflight with one Slack workspace (bot token), on loopback."""
    config = slack_config(tmp_path, api)
    async for harness in run_server(config, api):
        yield harness


@pytest.fixture
async def oauth_slack(tmp_path, api):
    """A running Preflight that installs into workspaces over OAuth, tokens encrypted at rest."""
    config = slack_config(
        tmp_path,
        api,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="shh",
        PREFLIGHT_ENCRYPTION_KEY="a long random secret",
    )
    async for harness in run_server(config, api):
        yield harness


async def run_server(config: Config, api: FakeSlack, clock=lambda: NOW):
    """Preflight on loopback: the HTTP server and the inbox's workers in this process, as `preflight serve` runs them."""
    core = await bootstrap(config, clock=clock, poll=0.05)
    await core.start(scheduler=False)
    runner, url = await listen(routes(core))
    async with httpx.AsyncClient() as http:
        yield Slack(url=url, api=api, core=core, http=http)
        await core.workers.drain()
    await runner.cleanup()
    await core.close()
