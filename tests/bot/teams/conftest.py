"""The real server with Teams on loopback, and the activities Teams would send it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bot.bootstrap import App, bootstrap
from bot.config import Config
from bot.server import routes
from tests.bot.teams.fake_connector import FakeConnector
from tests.conftest import NOW
from tests.loopback import listen

CHANNEL = "19:ai-projects@thread.tacv2"
BOT = {"id": "28:preflight-bot", "name": "Preflight"}
_ids = itertools.count(1)


@dataclass
class Teams:
    url: str
    connector: FakeConnector
    core: App
    http: httpx.AsyncClient
    tenant: str = "TENANT-A"
    user: dict[str, str] = field(default_factory=lambda: {"id": "29:ana", "name": "Ana", "aadObjectId": "aad-ana"})

    def activity(
        self,
        *,
        text: str | None = None,
        value: dict | None = None,
        user: dict | None = None,
        tenant: str | None = None,
        conversation: str = CHANNEL,
        kind: str = "channel",
        reply_to: str | None = None,
        mentions: list[dict] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        tenant = tenant or self.tenant
        activity: dict[str, Any] = {
            "type": "message",
            "id": f"msg-{next(_ids)}",
            "timestamp": NOW.isoformat(),
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": user or self.user,
            "recipient": BOT,
            "conversation": {"id": conversation, "conversationType": kind, "tenantId": tenant, "isGroup": kind != "personal"},
            "channelData": {"tenant": {"id": tenant}},
            "localTimezone": "Europe/Berlin",
            **extra,
        }
        if text is not None:
            activity["text"] = f"<at>Preflight</at> {text}" if kind != "personal" else text
            activity["entities"] = [{"type": "mention", "mentioned": BOT, "text": "<at>Preflight</at>"}] + [
                {"type": "mention", "mentioned": m, "text": f"<at>{m['name']}</at>"} for m in mentions or []
            ]
        if value is not None:
            activity["value"] = value
        if reply_to:
            activity["replyToId"] = reply_to
        return activity

    async def post(self, activity: dict[str, Any], *, headers: dict[str, str] | None = None) -> int:
        """Send an activity as Bot Framework does, then wait until Preflight has worked on it."""
        response = await self.http.post(self.url + "/api/messages", json=activity, headers=headers or {})
        await self.core.workers.drain()
        return response.status_code

    async def say(self, text: str, **kw: Any) -> int:
        return await self.post(self.activity(text=text, **kw))

    async def submit(self, card: dict[str, Any], title: str, inputs: dict[str, Any] | None = None, **kw: Any) -> int:
        """Press an Action.Submit of a card the bot sent, with the inputs filled in."""
        action = next(a for a in card.get("actions", []) if a["title"] == title)
        return await self.post(self.activity(value={**action["data"], **(inputs or {})}, reply_to=card["_id"], **kw))


async def run_teams(config: Config, connector: FakeConnector):
    core = await bootstrap(config, clock=lambda: NOW, poll=0.05)
    await core.start(scheduler=False)
    runner, url = await listen(routes(core))
    async with httpx.AsyncClient() as http:
        yield Teams(url=url, connector=connector, core=core, http=http)
    await runner.cleanup()
    await core.close()


@pytest.fixture
async def connector():
    fake = FakeConnector()
    await fake.start()
    yield fake
    await fake.stop()


def teams_config(tmp_path, **extra: str) -> Config:
    return Config.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'preflight.db'}", "TEAMS_ALLOW_ANONYMOUS": "1", **extra})


@pytest.fixture
async def teams(tmp_path, connector):
    async for harness in run_teams(teams_config(tmp_path), connector):
        yield harness
