"""Faults around Preflight: a slow Slack, a database that goes away, a killed server, a crowd clicking at once."""

import asyncio
import dataclasses
import itertools
import json
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import text

from storage.engine import database_url, make_engine
from tests.bot.slack.conftest import SECRET, run_server, signed, slack_config, slash_command
from tests.bot.slack.test_flow import started
from tests.loopback import environment, free_port, until_healthy


@pytest.fixture
async def slow_slack(tmp_path, api):
    config = dataclasses.replace(slack_config(tmp_path, api), slack_timeout=0.3)
    async for harness in run_server(config, api):
        yield harness


async def test_a_slack_that_does_not_answer_in_time_is_explained_and_the_answer_kept(slow_slack):
    q1 = await started(slow_slack)
    slow_slack.api.delays["chat.update"] = 2
    await slow_slack.click(q1, "Legacy systems")
    said = (await slow_slack.api.wait_for("response_url"))[-1]["text"]
    assert said == "Slack did not answer in time. In a minute, press Continue on the card. Everything answered so far is saved."
    loaded = await slow_slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["data"].values["choice"] == "legacy"


async def test_twenty_people_answering_the_same_question_at_once(slack):
    q1 = await started(slack)
    labels = ["Built for AI workloads (real-time inference, volume)", "Partly, workarounds planned", "Legacy systems"]
    people = [{"id": f"U{i:03d}", "name": f"person{i}"} for i in range(20)]
    answers = await asyncio.gather(*(slack.click(q1, labels[i % 3], user=p) for i, p in enumerate(people)))
    assert {a.status for a in answers} == {200}
    for _ in range(200):  # the work after the acks
        history = await slack.core.repos.assessments.history(assessment_id=1)
        if len(history) >= 20:
            break
        await asyncio.sleep(0.05)
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    history = await slack.core.repos.assessments.history(assessment_id=1)
    assert len(history) == 20 and loaded.version == 21
    assert history[0].old_value is None
    for earlier, later in itertools.pairwise(history):
        assert later.old_value == earlier.new_value  # one consistent chain, nothing lost or doubled
    assert dict(loaded.state.answers["data"].values) == history[-1].new_value
    assert loaded.state.current.key == "process"  # the cursor moved once


# -- the database going away (needs a server to stop: PostgreSQL) ---------------------------


@pytest.fixture
async def on_postgres(tmp_path, api):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("needs TEST_DATABASE_URL: stopping a database takes a server (make test and CI start one)")
    from tests.conftest import reset_postgres

    await reset_postgres(database_url({"DATABASE_URL": url}))
    async for harness in run_server(slack_config(tmp_path, api, database=url), api):
        yield harness, url


async def set_connections(url: str, *, allowed: bool) -> None:
    """Close (or reopen) the test database to new connections, and end the open ones."""
    admin = make_engine(database_url({"DATABASE_URL": url.rsplit("/", 1)[0] + "/postgres"}))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"ALTER DATABASE preflight_test ALLOW_CONNECTIONS {'true' if allowed else 'false'}"))
        if not allowed:
            await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'preflight_test' AND pid <> pg_backend_pid()")
            )
    await admin.dispose()


async def test_a_database_outage_is_explained_and_slacks_retry_is_handled_once(on_postgres):
    slack, url = on_postgres
    await started(slack)
    await set_connections(url, allowed=False)
    try:
        answer = await slack.command("status")
        assert answer.status == 200  # Slack does not retry commands: the acknowledgement itself says what happened
        assert answer.text == "Preflight cannot reach its database right now, so nothing was saved. Please try again in a minute."
        event = {"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}
        refused = await slack.event(event, event_id="EvOutage")
        assert refused.status == 503
    finally:
        await set_connections(url, allowed=True)
    assert (await slack.event(event, event_id="EvOutage", retry=1)).status == 200
    assert (await slack.event(event, event_id="EvOutage", retry=2)).status == 200
    await slack.core.workers.drain()
    assert slack.api.count("views.publish") == 1


# -- a killed server ---------------------------------------------------------------------------


async def test_a_server_killed_mid_assessment_resumes_where_it_stopped(tmp_path, api):
    port = free_port()
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=api.url
    )
    command = [str(Path(sys.executable).parent / "preflight"), "serve", "--port", str(port), "--no-scheduler"]
    base = f"http://127.0.0.1:{port}"

    async def boot():
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await until_healthy(base)
        return process

    async def post(http, payload: dict) -> None:
        body = urlencode({"payload": json.dumps(payload)})
        r = await http.post(
            base + "/slack/events", content=body, headers={**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
        )
        assert r.status_code == 200

    def click(n: int, question: str, value: str) -> dict:
        return {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "UANA", "name": "ana", "team_id": "T1"},
            "trigger_id": f"t-{n}",
            "container": {"message_ts": "1.0", "channel_id": "C1"},
            "channel": {"id": "C1"},
            "response_url": f"{api.base}/respond/{n}",
            "actions": [
                {
                    "type": "button",
                    "action_id": "pf_choice_0",
                    "block_id": "b",
                    "value": f'{{"a":1,"v":"choose","q":"{question}","c":"{value}"}}',
                }
            ],
        }

    process = await boot()
    async with httpx.AsyncClient() as http:
        body = urlencode(slash_command("start Churn model", trigger="t-0", response_url=f"{api.base}/respond/0"))
        r = await http.post(
            base + "/slack/events", content=body, headers={**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
        )
        assert r.status_code == 200
        await api.wait_for("chat.postMessage", 3)
        await post(http, click(1, "data", "ready"))
        await post(http, click(2, "process", "some"))
        await api.wait_for("chat.postMessage", 5)
    process.send_signal(signal.SIGKILL)
    await process.wait()

    process = await boot()
    try:
        async with httpx.AsyncClient() as http:
            await post(
                http,
                click(3, "roi", "x")
                | {"actions": [{"type": "button", "action_id": "pf_cmd_skip", "block_id": "b", "value": '{"a":1,"v":"skip","q":"roi"}'}]},
            )
            await api.wait_for("chat.postMessage", 6)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    engine = make_engine(database_url({"DATABASE_URL": env["DATABASE_URL"]}))
    async with engine.connect() as conn:
        answers = (await conn.execute(text("SELECT question, value FROM answer ORDER BY question"))).all()
        row = (await conn.execute(text("SELECT cursor, skipped FROM assessment"))).one()
    await engine.dispose()
    assert [q for q, _ in answers] == ["data", "process"]
    assert row.cursor == 3 and "roi" in row.skipped  # resumed at question 3, skipped it, on to 4
