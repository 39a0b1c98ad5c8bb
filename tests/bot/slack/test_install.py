"""Installs: one workspace with a bot token, many over OAuth with tokens encrypted at rest."""

import re

import httpx
import pytest
from sqlalchemy import text

from bot.config import Config, ConfigError
from tests.bot.slack import replay
from tests.bot.slack.conftest import text_of


async def install(slack) -> None:
    async with httpx.AsyncClient() as browser:
        page = await browser.get(slack.url + "/slack/install")
        assert page.status_code == 200
        body = page.text
        # The state cookie is Secure: a browser sends it back over HTTPS; this test does by hand.
        cookie = page.headers["Set-Cookie"].split(";")[0]
        state = re.search(r"state=([\w-]+)", body).group(1)
        assert "client_id=111.222" in body and "scope=commands,chat:write,users:read" in body
        done = await browser.get(slack.url + f"/slack/oauth_redirect?code=the-code&state={state}", headers={"Cookie": cookie})
        assert done.status_code == 200, done.text


async def test_oauth_install_stores_the_token_encrypted_and_uses_it(oauth_slack):
    await install(oauth_slack)
    (exchange,) = oauth_slack.api.of("oauth.v2.access")
    assert exchange["code"] == "the-code"
    async with oauth_slack.core.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT team_id, bot_token FROM slack_bots"))).all()
        installs = (await conn.execute(text("SELECT bot_token FROM slack_installations"))).all()
    assert [team for team, _ in stored] == ["T9"]
    for (token,) in [(t,) for _, t in stored] + list(installs):
        assert token.startswith("enc:") and "xoxb-installed-secret-token" not in token

    await oauth_slack.command("start Churn model", team="T9")
    posts = await oauth_slack.api.wait_for("chat.postMessage", 3)
    assert posts[0]["_token"] == "xoxb-installed-secret-token"
    assert "AI readiness: Churn model" in text_of(posts[0])


async def test_a_workspace_that_never_installed_is_refused(oauth_slack):
    answer = await oauth_slack.command("start Churn model", team="TNOBODY")
    assert answer.status == 200  # Bolt tells the user the app is not installed there
    await oauth_slack.core.workers.drain()
    assert oauth_slack.api.count("chat.postMessage") == 0


async def test_uninstall_deletes_the_stored_tokens(oauth_slack):
    await install(oauth_slack)
    await oauth_slack.event({"type": "app_uninstalled"}, event_id="EvBye", team="T9")
    await oauth_slack.core.workers.drain()
    async with oauth_slack.core.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM slack_bots"))).scalar_one() == 0
        assert (await conn.execute(text("SELECT count(*) FROM slack_installations"))).scalar_one() == 0


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "SLACK_SIGNING_SECRET": "s"}, "set PREFLIGHT_ENCRYPTION_KEY"),
        (
            {"SLACK_CLIENT_ID": "1", "SLACK_SIGNING_SECRET": "s", "PREFLIGHT_ENCRYPTION_KEY": "k"},
            "Set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "needs SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "also needs SLACK_BOT_TOKEN"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_startup(env, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env).check()


def test_the_serve_command_refuses_oauth_without_a_key(preflight):
    run = preflight("serve", env={"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "SLACK_SIGNING_SECRET": "s"})
    assert run.code == 1
    assert run.err.startswith("preflight: SLACK_CLIENT_ID is set, so Slack tokens will be stored: set PREFLIGHT_ENCRYPTION_KEY")


async def installed_in_t1(slack) -> None:
    """Installed over OAuth into T1, the workspace the event fixtures come from."""
    slack.api.install_answer = {**slack.api.install_answer, "team": {"id": "T1", "name": "Acme"}}
    await install(slack)
    await slack.command("start Churn model")
    await slack.api.wait_for("chat.postMessage", 3)
    await slack.core.workers.drain()


async def stored(slack, table: str) -> int:
    async with slack.core.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


@pytest.mark.parametrize("fixture", ["event_app_uninstalled.json", "event_tokens_revoked.json"])
async def test_uninstalling_or_revoking_the_bot_token_deletes_the_tokens_and_the_workspaces_data(oauth_slack, fixture):
    await installed_in_t1(oauth_slack)
    assert await stored(oauth_slack, "assessment") == 1
    answer = await replay.event(oauth_slack, fixture)
    assert answer.status == 200
    await oauth_slack.core.workers.drain()
    for table in ("slack_bots", "slack_installations", "assessment"):
        assert await stored(oauth_slack, table) == 0, table
