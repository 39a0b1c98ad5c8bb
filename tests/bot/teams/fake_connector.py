"""A Bot Framework connector on loopback: records every reply, card update and new conversation."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from aiohttp import web

from tests.loopback import listen
from tests.trees import dicts_in


class FakeConnector:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []  # (verb, conversation id, activity)
        self.fail_with: dict[str, int] = {}  # conversation id -> HTTP status to answer
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_post("/v3/conversations", self._create)
        self._runner, base = await listen(app)
        self.url = base + "/"
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()

    def _record(self, verb: str, cid: str, activity: dict[str, Any]) -> None:
        self.calls.append((verb, cid, activity))
        self._changed.set()

    async def _send(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        if cid in self.fail_with:
            return web.json_response({"error": {"code": "Forbidden", "message": "no"}}, status=self.fail_with[cid])
        activity = await request.json()
        activity_id = f"act-{next(self._ids)}"
        self._record("send", cid, {**activity, "_id": activity_id, "_reply_to": request.match_info.get("aid")})
        return web.json_response({"id": activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        activity = await request.json()
        self._record("update", request.match_info["cid"], {**activity, "_id": request.match_info["aid"]})
        return web.json_response({"id": request.match_info["aid"]})

    async def _create(self, request: web.Request) -> web.Response:
        parameters = await request.json()
        cid = f"a:personal-{next(self._ids)}"
        self._record("create", cid, parameters)
        return web.json_response({"id": cid, "activityId": None, "serviceUrl": self.url})

    def sent(self, cid: str | None = None) -> list[dict[str, Any]]:
        return [a for verb, c, a in self.calls if verb == "send" and (cid is None or c == cid)]

    def cards(self, cid: str | None = None) -> list[dict[str, Any]]:
        """The Adaptive Cards sent, each with the id the connector gave its message."""
        out = []
        for activity in self.sent(cid):
            for attachment in activity.get("attachments") or []:
                out.append({**attachment["content"], "_id": activity["_id"]})
        return out

    def updates(self) -> list[dict[str, Any]]:
        return [a for verb, _, a in self.calls if verb == "update"]

    async def wait_for(self, count: int, verb: str = "send", timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for v, _, _ in self.calls if v == verb) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} {verb}, got {[v for v, _, _ in self.calls]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.2)
            except TimeoutError:
                pass


def card_text(card: dict[str, Any]) -> str:
    nodes = [*dicts_in(card.get("body")), *dicts_in(card.get("actions"))]
    return "\n".join(node[key] for node in nodes for key in ("text", "title", "value", "label") if isinstance(node.get(key), str))
