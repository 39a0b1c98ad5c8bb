"""`preflight serve` (and `preflight worker` beside `serve --no-workers`) as real processes: signed requests in, Web API calls out."""

import asyncio
import signal
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.bot.slack.conftest import SECRET, signed, slash_command
from tests.loopback import environment, free_port, until_healthy

PREFLIGHT = Path(sys.executable).parent / "preflight"


async def stopped(process: asyncio.subprocess.Process) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


@pytest.mark.parametrize("separate", [False, True], ids=["serve", "serve --no-workers and worker"])
async def test_serve_answers_slack_and_stops_cleanly(tmp_path, api, separate):
    port = free_port()
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=api.url
    )
    run = dict(env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    if separate:  # several processes on one database: migrate it first, as an operator does before starting them
        upgrade = await asyncio.create_subprocess_exec(str(PREFLIGHT), "db", "upgrade", **run)
        assert await upgrade.wait() == 0
    process = await asyncio.create_subprocess_exec(
        str(PREFLIGHT), "serve", "--port", str(port), *(["--no-workers"] if separate else []), **run
    )
    worker = await asyncio.create_subprocess_exec(str(PREFLIGHT), "worker", **run) if separate else None
    base = f"http://127.0.0.1:{port}"
    try:
        await until_healthy(base)
        async with httpx.AsyncClient() as http:
            body = urlencode(slash_command("start Churn model", trigger="t-1", response_url=f"{api.base}/respond/1"))
            headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
            r = await http.post(base + "/slack/events", content=body, headers=headers)
            assert r.status_code == 200
            posts = await api.wait_for("chat.postMessage", 3)
            assert posts[0]["_token"] == "xoxb-1"
    finally:
        out, _ = await stopped(process)
        if worker is not None:
            worker_out, _ = await stopped(worker)
    assert f"listening on http://0.0.0.0:{port}" in out
    assert ("run 'preflight worker'" in out) == separate
    if worker is not None:
        assert "Working on acknowledged requests and sending reminders." in worker_out
