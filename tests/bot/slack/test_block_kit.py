"""The loopback Web API checks every Block Kit payload Preflight sends (fake_slack.block_kit_problems)."""

import httpx
import pytest

from tests.bot.slack.fake_slack import FakeSlack, block_kit_problems

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Answer"}, "blocks": [SECTION]}


@pytest.mark.parametrize(
    "method, params, problem",
    [
        ("chat.postMessage", {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}, "3000"),
        ("chat.update", {"blocks": [{"type": "no_such_block"}]}, "not a block Slack knows"),
        ("chat.postEphemeral", {"blocks": [SECTION] * 51}, "at most 50"),
        ("response_url", {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}, "150"),
        ("views.open", {"view": {**MODAL, "title": {"type": "plain_text", "text": "a title much too long for Slack"}}}, "24"),
        ("views.publish", {"view": {"type": "home", "blocks": []}}, "between 1 and 100"),
    ],
)
def test_what_slack_would_refuse_is_found(method, params, problem):
    found = block_kit_problems(method, params)
    assert len(found) == 1 and problem in found[0], found


def test_what_slack_takes_passes():
    assert block_kit_problems("chat.postMessage", {"text": "no blocks"}) == []
    assert block_kit_problems("chat.postMessage", {"blocks": [SECTION]}) == []
    assert block_kit_problems("views.open", {"view": MODAL}) == []


async def test_a_test_whose_app_sent_invalid_blocks_fails_when_the_fake_stops():
    fake = FakeSlack()
    await fake.start()
    async with httpx.AsyncClient() as http:
        await http.post(fake.url + "chat.postMessage", json={"channel": "C1", "blocks": [{"type": "no_such_block"}]})
    with pytest.raises(AssertionError, match="Block Kit that Slack would refuse"):
        await fake.stop()
