"""The work after each acknowledgement, done by the worker process (`preflight serve`'s default).

The same user journeys as the single-process tests, with a real `python -m bot.worker` behind
the server; then what the worker adds: it finishes its queue when the server stops, and a
worker that dies is replaced without losing the requests that come meanwhile.
"""

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.slack import handoff
from bot.slack.handoff import Handoff
from tests.bot.slack.conftest import SECRET, run_server, slack_config
from tests.bot.slack.test_flow import test_a_whole_assessment_by_buttons_and_forms, test_skip_and_back_from_buttons  # noqa: F401
from tests.bot.slack.test_safety import (  # noqa: F401
    test_a_replayed_click_answers_once,
    test_a_replayed_form_submission_saves_once,
    test_a_retried_event_is_handled_once,
    test_another_workspace_cannot_read_or_change_an_assessment,
)
from tests.loopback import descendants, environment, free_port, until_healthy

PREFLIGHT = Path(sys.executable).parent / "preflight"


@pytest.fixture
async def slack(tmp_path, api):
    """The server on loopback, handing its work to a real worker process."""
    config = slack_config(tmp_path, api)
    env = environment(DATABASE_URL=config.database_url, SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-test-token", SLACK_API_URL=api.url)
    worker = Handoff([sys.executable, "-m", "bot.worker", "--no-scheduler"], env=env)
    async for harness in run_server(config, api, handoff=worker):
        yield harness


def test_a_request_survives_the_trip_to_the_worker():
    async def trip(request: AsyncBoltRequest) -> AsyncBoltRequest:
        reader = asyncio.StreamReader()
        reader.feed_data(handoff.encode(request, "choice"))
        reader.feed_eof()
        received = await handoff.read(reader)
        assert await handoff.read(reader) is None  # then the end of input
        return received

    body = urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "UANA"}, "actions": [{"value": "ünïcode ✓"}]})})
    http = asyncio.run(trip(AsyncBoltRequest(body=body, headers={"content-type": "application/x-www-form-urlencoded"})))
    assert http.raw_body == body and http.body["actions"][0]["value"] == "ünïcode ✓"
    assert http.lazy_only and http.lazy_function_name == "choice" and http.mode == "http"
    socket = asyncio.run(trip(AsyncBoltRequest(body={"type": "block_actions", "user": {"id": "UBEN"}}, mode="socket_mode")))
    assert socket.body == {"type": "block_actions", "user": {"id": "UBEN"}} and socket.mode == "socket_mode" and socket.lazy_only


async def test_a_truncated_frame_is_the_end_of_input():
    reader = asyncio.StreamReader()
    reader.feed_data(handoff.encode(AsyncBoltRequest(body="a=1"), "work")[:-3])
    reader.feed_eof()
    assert await handoff.read(reader) is None


# -- preflight serve with its worker ---------------------------------------------------------------


def signed_start(api, n: int) -> tuple[str, dict[str, str]]:
    body = urlencode({"team_id": "T1", "channel_id": f"C{n}", "user_id": "UANA", "user_name": "ana", "command": "/readiness",
                      "text": f"start Project {n}", "trigger_id": f"t-{n}", "response_url": f"{api.base}/respond/{n}"})
    stamp = str(int(time.time()))
    return body, {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
                  "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)}


async def serve(tmp_path, api) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    env = environment(DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=api.url)
    process = await asyncio.create_subprocess_exec(str(PREFLIGHT), "serve", "--port", str(port), "--no-scheduler", env=env, cwd=tmp_path,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    await until_healthy(base)
    return process, base


def worker_of(pid: int) -> int | None:
    children = descendants(pid)
    return children[0] if children else None


async def test_work_handed_to_the_worker_is_finished_when_the_server_stops(tmp_path, api):
    process, base = await serve(tmp_path, api)
    async with aiohttp.ClientSession() as http:
        for n in range(5):
            body, headers = signed_start(api, n)
            async with http.post(base + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
    process.send_signal(signal.SIGTERM)  # straight after the acks: the work is still queued
    _, err = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, err.decode()
    assert api.count("chat.postMessage") == 5 * 3  # each start: the card, the intro, question 1


async def test_the_worker_and_its_threads_run_only_when_the_web_process_leaves_the_cpu(tmp_path, api):
    process, base = await serve(tmp_path, api)
    try:
        async with aiohttp.ClientSession() as http:
            body, headers = signed_start(api, 1)
            async with http.post(base + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
        await api.wait_for("chat.postMessage", 3, timeout=20)  # the worker has used the database: its threads exist
        worker = worker_of(process.pid)
        threads = [int(t) for t in os.listdir(f"/proc/{worker}/task")]
        assert len(threads) > 1
        assert {os.sched_getscheduler(t) for t in threads} == {os.SCHED_IDLE}
        assert os.sched_getscheduler(process.pid) == os.SCHED_OTHER and os.getpriority(os.PRIO_PROCESS, process.pid) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 40)


async def test_a_worker_that_dies_is_replaced_and_requests_meanwhile_are_worked_on(tmp_path, api):
    process, base = await serve(tmp_path, api)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as r:
                assert (await r.json())["worker"] == "running"
            first = worker_of(process.pid)
            assert first is not None
            os.kill(first, signal.SIGKILL)
            await asyncio.sleep(0.3)
            async with http.get(base + "/healthz") as r:
                assert r.status == 200 and (await r.json())["worker"] == "restarting"
            body, headers = signed_start(api, 1)
            async with http.post(base + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 200  # acknowledged while no worker runs
            await api.wait_for("chat.postMessage", 3, timeout=20)
            second = worker_of(process.pid)
            assert second not in (None, first)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 40)
    assert "the worker process stopped" in err.decode()
