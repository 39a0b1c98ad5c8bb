"""Generated bad input at the real endpoints: never a 5xx, never a traceback to a user, never another workspace touched."""

import json
import time
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from tests.bot.slack.conftest import SECRET

EXAMPLES = 60


def generated(**strategies) -> list[dict]:
    """Inputs drawn by hypothesis (its edge cases included), to send to the running server one by one.

    The server lives on this test's event loop, so hypothesis draws the inputs and the test sends them.
    """
    drawn: list[dict] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(**strategies)
    def draw(**example):
        drawn.append(example)

    draw()
    return drawn


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _unpack(example: dict, names: str):
    values = [example[n.strip()] for n in names.split(",")]
    return values[0] if len(values) == 1 else values


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
    }


async def other_workspace(slack):
    """An assessment in workspace T2 that nothing below may change."""
    await slack.command("start Theirs", team="T2", channel="C-T2")
    await slack.api.wait_for("chat.postMessage", 3)
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    return loaded.version


async def assert_nothing_leaked(slack, version):
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.version == version and loaded.state.answers == {}
    for _method, params in slack.api.calls:
        assert "Traceback" not in json.dumps(params)


async def test_arbitrary_slash_command_text(slack):
    version = await other_workspace(slack)

    for example in generated(text=st.text(max_size=400)):
        text = _unpack(example, "text")
        answer = await slack.command(text)
        assert answer.status < 500

    await assert_nothing_leaked(slack, version)


async def test_arbitrary_button_values_and_actions(slack):
    version = await other_workspace(slack)

    for example in generated(
        value=st.text(max_size=200) | anything.map(json.dumps),
        action_id=st.sampled_from(["pf_choice_0", "pf_form", "pf_cmd_skip", "pf_cmd_edit", "pf_fill", "pf_edit"]),
        team=st.sampled_from(["T1", "T3"]),
    ):
        value, action_id, team = _unpack(example, "value, action_id, team")
        payload = slack.base_payload("block_actions", team=team)
        payload.update(
            container={"message_ts": "1.0", "channel_id": "C1"},
            channel={"id": "C1"},
            response_url=f"{slack.api.base}/respond/x",
            actions=[{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
        )
        answer = await slack.interact(payload)
        assert answer.status < 500

    await slack.api.settle(0.2)
    await assert_nothing_leaked(slack, version)


async def test_arbitrary_form_submissions(slack):
    version = await other_workspace(slack)

    for example in generated(
        metadata=st.text(max_size=100) | anything.map(json.dumps),
        values=anything,
        callback=st.sampled_from(["pf_answer_form", "pf_gaps_form", "pf_settings_form"]),
    ):
        metadata, values, callback = _unpack(example, "metadata, values, callback")
        payload = slack.base_payload("view_submission")
        payload["view"] = {
            "id": "V1",
            "hash": "h",
            "callback_id": callback,
            "private_metadata": metadata,
            "state": {"values": values if isinstance(values, dict) else {}},
        }
        answer = await slack.interact(payload)
        assert answer.status < 500

    await slack.api.settle(0.2)
    await assert_nothing_leaked(slack, version)


async def test_truncated_oversized_and_garbage_bodies(slack):
    version = await other_workspace(slack)

    for example in generated(
        body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
        content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
    ):
        body, content_type = _unpack(example, "body, content_type")
        text = body.decode("utf-8", "replace")
        async with slack.http.post(
            slack.url + "/slack/events", data=text.encode(), headers={"Content-Type": content_type, **signed(text)}
        ) as r:
            assert r.status < 500

    whole = urlencode({"payload": json.dumps(slack.base_payload("block_actions"))})
    for cut in (1, len(whole) // 3, len(whole) - 5):
        async with slack.http.post(
            slack.url + "/slack/events",
            data=whole[:cut],
            headers={"Content-Type": "application/x-www-form-urlencoded", **signed(whole[:cut])},
        ) as r:
            assert r.status < 500
    huge = "text=" + "x" * (2 * 1024 * 1024)
    async with slack.http.post(
        slack.url + "/slack/events", data=huge, headers={"Content-Type": "application/x-www-form-urlencoded", **signed(huge)}
    ) as r:
        assert r.status == 413
    await assert_nothing_leaked(slack, version)


async def test_arbitrary_teams_activities(teams):
    await teams.say("start Theirs", tenant="TENANT-B", conversation="19:b@thread.tacv2")
    before = await teams.core.repos.assessments.load(assessment_id=1)

    for example in generated(
        extra=st.dictionaries(
            st.sampled_from(["type", "text", "value", "conversation", "from", "entities", "channelData", "replyToId", "action"]),
            anything,
            max_size=5,
        )
    ):
        extra = _unpack(example, "extra")
        activity = {**teams.activity(text="status"), **extra}
        async with teams.http.post(teams.url + "/api/messages", json=activity) as r:
            assert r.status < 500

    after = await teams.core.repos.assessments.load(assessment_id=1)
    assert after.version == before.version and after.state.answers == {}
    for _, _, sent in teams.connector.calls:
        assert "Traceback" not in json.dumps(sent)
