"""Socket Mode: the same listeners, reached over a WebSocket instead of HTTP."""

from bot.bootstrap import bootstrap
from bot.slack.app import connect_socket_mode
from tests.bot.slack.conftest import slack_config, slash_command, text_of
from tests.conftest import NOW


async def test_a_slash_command_over_socket_mode_is_acked_and_answered(tmp_path, api):
    config = slack_config(tmp_path, api, SLACK_APP_TOKEN="xapp-test", SLACK_SIGNING_SECRET="")
    config.check()
    core = await bootstrap(config, clock=lambda: NOW)
    await core.start(scheduler=False)
    handler = await connect_socket_mode(core.slack, app_token="xapp-test")
    try:
        await api.wait_for("socket.connected")
        assert api.of("apps.connections.open")[0]["_token"] == "xapp-test"
        await api.push(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": slash_command("start Churn model", trigger="t-socket", response_url=f"{api.base}/respond/1"),
            }
        )
        posts = await api.wait_for("chat.postMessage", 3)
        assert "AI readiness: Churn model" in text_of(posts[0])
        acks = await api.wait_for("socket.ack")
        assert acks[0]["envelope_id"] == "env-1"
    finally:
        await handler.close_async()
        await core.close()
