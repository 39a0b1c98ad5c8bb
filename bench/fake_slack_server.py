"""The loopback Slack Web API of the benchmark, in a process of its own, so the load generator stays light.

Answers every Web API method Preflight and the bare Bolt app call, and reports each call on its
standard output as one JSON line, the moment it arrives:

    {"t": <time.monotonic_ns() on arrival>, "m": "chat.update", "c": "<channel>", "ts": "...", "th": "<thread_ts>", ...}

CLOCK_MONOTONIC is one clock for every process on the machine, so the load generator subtracts
its own send times from these. A chat.postMessage in a thread also carries its text and blocks
("x", "b": the buttons to press next), views.open its view's id and private_metadata ("v", "pm",
with the trigger_id in "c"), and a post to a response URL (/respond/<channel>) its text.

python bench/fake_slack_server.py --port 3200   (prints its base URL first, then the calls)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from aiohttp import web

TEAM = "TBENCH"


class Api:
    def __init__(self) -> None:
        self._ts = 1700000000
        self.out = sys.stdout

    def next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts}.000100"

    def emit(self, record: dict) -> None:
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.out.flush()

    async def api(self, request: web.Request) -> web.Response:
        arrived = time.monotonic_ns()
        method = request.match_info["method"]
        if request.method == "GET":
            params: dict = dict(request.query)
        elif request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        record: dict = {"t": arrived, "m": method, "c": params.get("channel") or ""}
        answer: dict = {"ok": True}
        if method == "auth.test":
            answer = {"ok": True, "team_id": TEAM, "team": "Bench", "user_id": "UBOT", "user": "preflight", "bot_id": "BBOT"}
        elif method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or self.next_ts()
            record["ts"] = ts
            if params.get("thread_ts"):
                record["th"] = params["thread_ts"]
                record["x"] = params.get("text") or ""
                record["b"] = params.get("blocks") or []
            answer = {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"ts": ts}}
        elif method == "chat.postEphemeral":
            record["x"] = params.get("text") or ""
            answer = {"ok": True, "message_ts": self.next_ts()}
        elif method in ("views.open", "views.publish"):
            view = params.get("view") or {}
            record["c"] = params.get("trigger_id") or ""  # a modal belongs to no channel: it is found by its trigger
            record["pm"] = view.get("private_metadata") or ""
            record["vb"] = [b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"]
            record["v"] = f"V{self.next_ts()}"
            answer = {"ok": True, "view": {**view, "id": record["v"]}}
        elif method == "users.info":
            answer = {"ok": True, "user": {"id": params.get("user"), "name": "someone", "tz": "Europe/Berlin"}}
        self.emit(record)
        return web.json_response(answer)

    async def respond(self, request: web.Request) -> web.Response:
        arrived = time.monotonic_ns()
        body = await request.json()
        self.emit({"t": arrived, "m": "response_url", "c": request.match_info["channel"], "x": body.get("text") or ""})
        return web.Response(text="ok")


def app() -> web.Application:
    api = Api()
    served = web.Application(client_max_size=16 * 1024 * 1024)
    served.router.add_post("/api/{method}", api.api)
    served.router.add_get("/api/{method}", api.api)  # slack_sdk reads some methods (users.info) with GET
    served.router.add_post("/respond/{channel}", api.respond)
    return served


async def main(port: int) -> None:
    runner = web.AppRunner(app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
