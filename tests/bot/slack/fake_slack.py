"""A Slack Web API on loopback: records every call and answers like Slack, or with the errors a test asks for."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from tests.loopback import listen

# The methods whose Block Kit Preflight draws, and where in the call it is.
BLOCKS_IN = {"chat.postMessage": "blocks", "chat.update": "blocks", "chat.postEphemeral": "blocks", "response_url": "blocks"}
VIEW_IN = {"views.open": "view", "views.publish": "view", "views.update": "view", "views.push": "view"}
INSTALL = {
    "ok": True,
    "app_id": "A1",
    "authed_user": {"id": "UINSTALLER"},
    "scope": "commands,chat:write,users:read",
    "token_type": "bot",
    "access_token": "xoxb-installed-secret-token",
    "bot_user_id": "UBOT",
    "team": {"id": "T9", "name": "Globex"},
    "enterprise": None,
    "is_enterprise_install": False,
}


def block_kit_problems(method: str, params: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a call's blocks or view, checked with slack_sdk's Block Kit models."""
    problems: list[str] = []

    def check(made: Any, raw: Any) -> None:
        if made is None:
            problems.append(f"{method}: not a block Slack knows: {json.dumps(raw)[:200]}")
            return
        try:
            made.validate_json()
        except SlackObjectFormationError as e:
            problems.append(f"{method}: {e}: {json.dumps(raw)[:300]}")

    if method in BLOCKS_IN and params.get(BLOCKS_IN[method]) is not None:
        given = params[BLOCKS_IN[method]]
        if not isinstance(given, list) or len(given) > 50:
            problems.append(f"{method}: blocks must be a list of at most 50")
        for raw in given if isinstance(given, list) else []:
            check(Block.parse(raw) if isinstance(raw, dict) else None, raw)
    if method in VIEW_IN:
        raw = params.get(VIEW_IN[method])
        try:
            view = View(**raw) if isinstance(raw, dict) else None
        except (TypeError, SlackObjectFormationError) as e:
            problems.append(f"{method}: {e}")
            return problems
        check(view, raw)
        for block in raw.get("blocks") or [] if isinstance(raw, dict) else []:
            check(Block.parse(block) if isinstance(block, dict) else None, block)
    return problems


@dataclass
class Failure:
    error: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[Failure]] = {}
        self.url = ""
        self._ts = 1700000000
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.installed_team = "T1"
        self.users: dict[str, dict[str, Any]] = {}  # users.info answers by user id
        self.delays: dict[str, float] = {}  # seconds to wait before answering a method
        # Seconds to wait before answering one call, chosen by its method and parameters (it is recorded at once).
        self.hold: Callable[[str, dict[str, Any]], float] | None = None
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        # Every Block Kit payload is checked as Slack would; what it would refuse is kept here
        # and fails the test when the fake stops (see the `api` fixture).
        self.invalid: list[str] = []
        self.install_answer: dict[str, Any] = dict(INSTALL)  # oauth.v2.access for a code
        self.auth_answer: dict[str, Any] = {}  # added to auth.test's answer (an enterprise's ids)
        self.expired: set[str] = set()  # tokens Slack answers token_expired for
        self.refreshed = 0  # token refreshes answered (oauth.v2.access with grant_type=refresh_token)

    # -- control ---------------------------------------------------------------

    def fail(self, method: str, error: str = "", *, status: int = 200, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self.failures.setdefault(method, []).extend(Failure(error, status, headers or {}) for _ in range(times))

    def of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def count(self, method: str) -> int:
        return len(self.of(method))

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while self.count(method) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"expected {count} call(s) to {method}, got {self.count(method)}: {[c[0] for c in self.calls]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.2))
            except TimeoutError:
                pass
        return self.of(method)

    # -- server ----------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads some methods (users.info) with GET
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/_count/{method}", self._count)  # for a load generator in another process
        self._runner, self.base = await listen(app, port=port)
        self.url = self.base + "/api/"
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        assert self.invalid == [], "Block Kit that Slack would refuse:\n" + "\n".join(self.invalid)

    async def _count(self, request: web.Request) -> web.Response:
        return web.json_response({"count": self.count(request.match_info["method"])})

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected app."""
        await self.sockets[-1].send_json(envelope)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        self._record("socket.connected", {})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                self._record("socket.ack", json.loads(message.data))
        return ws

    def _record(self, method: str, params: dict[str, Any]) -> None:
        self.calls.append((method, params))
        self._changed.set()

    async def _respond(self, request: web.Request) -> web.Response:
        params = await request.json()
        self.invalid += block_kit_problems("response_url", params)
        self._record("response_url", params)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            params = dict(request.query)
        elif request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        params["_token"] = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.invalid += block_kit_problems(method, params)
        self._record(method, params)
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        if self.hold is not None and (held := self.hold(method, params)):
            await asyncio.sleep(held)
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            if failure.status != 200:
                return web.json_response(
                    {"ok": False, "error": failure.error or "internal_error"}, status=failure.status, headers=failure.headers
                )
            return web.json_response({"ok": False, "error": failure.error})
        if params["_token"] in self.expired:
            return web.json_response({"ok": False, "error": "token_expired"})
        answer = self._answer(method, params)
        if method == "chat.postMessage":
            params["_ts"] = answer["ts"]  # so tests can follow a message through its updates
        return web.json_response(answer)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.installed_team,
                "team": "Acme",
                "user_id": "UBOT",
                "user": "preflight",
                "bot_id": "BBOT",
                "url": "https://acme.slack.com/",
                **self.auth_answer,
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or self._next_ts()
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"ts": ts, "blocks": params.get("blocks")}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base.replace("http://", "ws://") + "/socket"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {**(params.get("view") or {}), "id": f"V{self._next_ts()}"}}
        if method == "users.info":
            uid = str(params.get("user"))
            user = {"id": uid, "name": uid[1:].lower(), "tz": "Europe/Berlin", **self.users.get(uid, {})}  # "USAM" is @sam
            return {"ok": True, "user": user}
        if method == "oauth.v2.access" and params.get("grant_type") == "refresh_token":
            self.refreshed += 1
            return {
                "ok": True,
                "token_type": "bot",
                "access_token": f"xoxe.xoxb-rotated-{self.refreshed}",
                "refresh_token": f"xoxe-1-refresh-{self.refreshed}",
                "expires_in": 43200,
                "scope": "commands,chat:write,users:read",
            }
        if method == "oauth.v2.access":
            return self.install_answer
        return {"ok": True}

    def _next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts}.000100"
