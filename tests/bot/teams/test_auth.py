"""Every Teams request is authenticated unless TEAMS_ALLOW_ANONYMOUS=1."""

import asyncio
import signal
import sys
import time
from pathlib import Path

import httpx
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


async def test_a_hung_identity_provider_stops_only_the_teams_request(tmp_path, connector, api, monkeypatch):
    """The signing keys' endpoint accepts the connection and never answers: Slack and /healthz go on."""
    from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
    from cryptography.hazmat.primitives.asymmetric import rsa

    from bot.bootstrap import bootstrap
    from bot.server import routes
    from bot.teams import app as teams_app
    from tests.bot.slack.conftest import Slack, slack_config
    from tests.loopback import listen

    hung: list[asyncio.StreamWriter] = []
    asked = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung.append(writer)  # read nothing, answer nothing, keep the connection open
        asked.set()

    keys = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    metadata = f"http://127.0.0.1:{keys.sockets[0].getsockname()[1]}/.well-known/openidconfiguration"
    monkeypatch.setattr(teams_app, "AUTH_TIMEOUT", 1.5)
    config = slack_config(tmp_path, api, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret")
    core = await bootstrap(config, poll=0.05)
    settings = teams_app.SdkSettings(config)
    settings.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = metadata  # with the issuer, botbuilder's public cloud values
    settings.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"
    core.teams.auth = ConfigurationBotFrameworkAuthentication(settings)
    await core.start(scheduler=False)
    runner, url = await listen(routes(core))
    forged = jwt.encode(
        {"aud": APP_ID, "iss": "https://api.botframework.com", "exp": int(time.time()) + 600, "serviceurl": connector.url},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": "unknown-key"},
    )
    activity = {
        "type": "message",
        "id": "m1",
        "text": "status",
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "conversation": {"id": "19:c@thread.tacv2", "tenantId": "TENANT-A"},
        "from": {"id": "29:x"},
        "recipient": {"id": "28:bot"},
    }
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            slack = Slack(url=url, api=api, core=core, http=http)
            teams_request = asyncio.create_task(
                http.post(url + "/api/messages", json=activity, headers={"Authorization": f"Bearer {forged}"})
            )
            await asyncio.wait_for(asked.wait(), 10)  # the token check is fetching the keys now
            for n in range(5):
                started = time.monotonic()
                answer = await slack.command("help", channel=f"C{n}")
                assert answer.status == 200 and time.monotonic() - started < 0.5
            health = await http.get(url + "/healthz")
            assert health.status_code == 200
            assert not teams_request.done()  # still waiting for the keys, alone
            refused = await teams_request
            assert refused.status_code == 503
    finally:
        for writer in hung:
            writer.close()
        keys.close()
        await runner.cleanup()
        await core.close()
    assert connector.calls == []
