"""`preflight serve` as a real process: signed requests in, Web API calls out."""

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.bot.slack.conftest import SECRET

PREFLIGHT = Path(sys.executable).parent / "preflight"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serve_answers_slack_and_stops_cleanly(tmp_path, api):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=api.url)
    process = await asyncio.create_subprocess_exec(
        str(PREFLIGHT), "serve", "--port", str(port), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    async with http.get(base + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                await asyncio.sleep(0.1)
            body = urlencode({"team_id": "T1", "channel_id": "C1", "user_id": "UANA", "user_name": "ana", "command": "/readiness", "text": "start Churn model", "trigger_id": "t-1", "response_url": f"{api.base}/respond/1"})
            stamp = str(int(time.time()))
            headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body), "Content-Type": "application/x-www-form-urlencoded"}
            async with http.post(base + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
            posts = await api.wait_for("chat.postMessage", 3)
            assert posts[0]["_token"] == "xoxb-1"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    assert f"listening on http://0.0.0.0:{port}" in out.decode()
