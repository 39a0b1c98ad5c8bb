"""Every Teams request is authenticated unless TEAMS_ALLOW_ANONYMOUS=1."""

import asyncio
import signal
import sys
import time
from pathlib import Path

import jwt
import pytest

from tests.bot.teams.conftest import run_teams, teams_config
from tests.loopback import environment

APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
async def secured(tmp_path, connector):
    config = teams_config(tmp_path, TEAMS_ALLOW_ANONYMOUS="", MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret")
    async for harness in run_teams(config, connector):
        yield harness


@pytest.fixture
async def unconfigured(tmp_path, connector):
    async for harness in run_teams(teams_config(tmp_path, TEAMS_ALLOW_ANONYMOUS=""), connector):
        yield harness


def token(audience: str) -> str:
    claims = {"aud": audience, "iss": "https://api.botframework.com", "exp": int(time.time()) + 600, "serviceurl": "http://127.0.0.1"}
    return jwt.encode(claims, "a key that is not Microsoft's, 32+ bytes long", algorithm="HS256")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Bearer " + "x" * 500},
        {"Authorization": f"Bearer {token('some-other-app-id')}"},
    ],
    ids=["none", "empty-bearer", "basic", "malformed", "garbage", "other-app"],
)
async def test_requests_that_are_not_for_this_bot_get_401(secured, headers):
    status = await secured.post(secured.activity(text="start Churn model"), headers=headers)
    assert status == 401
    assert await secured.core.repos.assessments.listing(platform="teams", workspace="TENANT-A") == []
    assert secured.connector.calls == []


async def test_without_credentials_teams_is_refused(unconfigured):
    assert await unconfigured.post(unconfigured.activity(text="start Churn model")) == 401
    assert unconfigured.connector.calls == []


async def test_a_body_that_is_not_an_activity_is_400_not_500(tmp_path, connector):
    async for teams in run_teams(teams_config(tmp_path), connector):
        r = await teams.http.post(teams.url + "/api/messages", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        r = await teams.http.post(teams.url + "/api/messages", json={"no": "type"})
        assert r.status_code == 400


async def test_the_server_says_at_startup_that_teams_is_refused(tmp_path):
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
        SLACK_SIGNING_SECRET="s",
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "preflight"),
        "serve",
        "--port",
        "0",
        "--no-scheduler",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    lines = []
    try:
        while not any("listening" in line for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, (await process.stderr.read()).decode()
            lines.append(line.decode())
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert any(line.startswith("Teams: MICROSOFT_APP_ID is not set, so POST /api/messages refuses every request") for line in lines)
    assert any("POST /api/messages" in line and "POST /slack/events" in line for line in lines)
