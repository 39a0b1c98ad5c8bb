"""How fast Slack is acknowledged: Preflight against a bare Bolt app, same signed requests, same run.

Slack wants an answer within 3 seconds. This fires signed slash commands at both servers
on loopback, many at a time, and reports the time to the HTTP response (the ack).

    python bench/slack_ack.py [--requests 400] [--concurrency 25]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.bootstrap import bootstrap  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.server import routes  # noqa: E402
from bot.slack.app import build  # noqa: E402
from tests.bot.slack.fake_slack import FakeSlack  # noqa: E402

SECRET = "bench-secret"


def bare_bolt(api_url: str) -> web.Application:
    """The baseline: Bolt answering /readiness with an empty ack, nothing else."""
    bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-bench", base_url=api_url))

    @bolt.command("/readiness")
    async def ack_only(ack):  # noqa: ANN001
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


async def listen(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/slack/events"


def signed(text: str, n: int, channel: str) -> tuple[str, dict[str, str]]:
    body = urlencode({
        "team_id": "T1", "channel_id": channel, "user_id": "UBENCH", "user_name": "bench", "command": "/readiness",
        "text": text, "trigger_id": f"bench-{n}-{time.monotonic_ns()}", "response_url": "http://127.0.0.1:9/none",
    })
    stamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
    }


async def fire(url: str, text: str, *, requests: int, concurrency: int) -> list[float]:
    timings: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def one(n: int) -> None:
            body, headers = signed(text.format(n=n), n, channel=f"C{n % 50}")
            async with gate:
                started = time.perf_counter()
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                timings.append(time.perf_counter() - started)

        await asyncio.gather(*(one(n) for n in range(requests)))
    return timings


def report(name: str, timings: list[float]) -> str:
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"{name:<34} n={len(ms):<5} p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms  max={ms[-1]:7.1f} ms"


async def main(requests: int, concurrency: int) -> None:
    api = FakeSlack()
    await api.start()
    with tempfile.TemporaryDirectory() as folder:
        config = Config.from_env({
            "DATABASE_URL": f"sqlite:///{folder}/bench.db", "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": api.url,
        })
        core = await bootstrap(config)
        ours, ours_url = await listen(routes(core, slack=build(core, config)))
        bare, bare_url = await listen(bare_bolt(api.url))
        await fire(bare_url, "help", requests=20, concurrency=5)  # warm up both
        await fire(ours_url, "help", requests=20, concurrency=5)
        print(f"{requests} signed slash commands per line, {concurrency} at a time, on loopback (Slack's limit: 3000 ms)")
        print(report("bare Bolt app, empty ack", await fire(bare_url, "help", requests=requests, concurrency=concurrency)))
        print(report("Preflight /readiness help", await fire(ours_url, "help", requests=requests, concurrency=concurrency)))
        started = time.perf_counter()
        print(report("Preflight /readiness start (work)", await fire(ours_url, "start Bench {n}", requests=requests, concurrency=concurrency)))
        await api.wait_for("chat.postMessage", 3 * requests, timeout=300)  # card, intro, question 1 each
        print(f"  the work after those acks (card, intro and question 1 posted for each) done after {time.perf_counter() - started:.1f} s")
        await ours.cleanup()
        await bare.cleanup()
        await core.close()
    await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
