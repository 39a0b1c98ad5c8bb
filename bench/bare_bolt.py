"""The baseline: a bare Bolt app that acks the same signed requests and, for a button, makes one chat.update.

Its action listener acks and then updates the clicked message in place, as a minimal app would
show a person that their click was taken. The command listener only acks. Bolt's default mode
(process_before_response=False) runs the listener in its own task and answers Slack once the
listener has called ack(); --process-before-response answers only when the listener returns.

python bench/bare_bolt.py --port 3100 --secret S --api-url http://127.0.0.1:3200/api/ [--process-before-response]
"""

from __future__ import annotations

import argparse
import re

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def saved(body: dict) -> list[dict]:
    """About what Preflight draws in place of an answered question: a line of text and one button."""
    action = (body.get("actions") or [{}])[0]
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"✅ *Answered*: {action.get('value', '')}\nAnswered by <@{body['user']['id']}>"},
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Change"}, "action_id": "bare_change", "value": "change"}
            ],
        },
    ]


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
    async def action(ack, body, client):
        await ack()
        await client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"], text="Answered", blocks=saved(body))

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    served = web.Application()
    served.router.add_post("/slack/events", events)
    served.router.add_get("/healthz", healthz)
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
