"""The baseline: a bare Bolt app that acks the same signed requests with a static reply and does nothing else.

python bench/bare_bolt.py --port 3100 [--process-before-response]
"""

from __future__ import annotations

import argparse
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def app(*, secret: str, api_url: str, process_before_response: bool) -> web.Application:
    bolt = AsyncApp(
        signing_secret=secret,
        client=AsyncWebClient(token="xoxb-bench", base_url=api_url),
        process_before_response=process_before_response,
    )

    @bolt.command("/readiness")
    async def command(ack):
        await ack()

    @bolt.action(re.compile(".*"))
    async def action(ack):
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    served = web.Application()
    served.router.add_post("/slack/events", events)
    served.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
    return served


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--process-before-response", action="store_true")
    args = parser.parse_args()
    web.run_app(
        app(secret=args.secret, api_url=args.api_url, process_before_response=args.process_before_response),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
    )
