"""Generated bad input at the real endpoints: never a 5xx, never a traceback to a user, never another workspace touched."""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.slack.conftest import signed

EXAMPLES = 60


# One server serves every example of a test: hypothesis draws inside @given, and the function-scoped
# fixtures (the running server, the other workspace's assessment) are shared on purpose.
examples = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture
async def theirs(slack):
    """An assessment in workspace T2 that nothing below may change: its stored version."""
    await slack.command("start Theirs", team="T2", channel="C-T2")
    await slack.api.wait_for("chat.postMessage", 3)
    return (await slack.core.repos.assessments.load(assessment_id=1)).version


async def assert_nothing_leaked(slack, version):
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.version == version and loaded.state.answers == {}
    for _method, params in slack.api.calls:
        assert "Traceback" not in json.dumps(params)


@examples
@given(text=st.text(max_size=400))
async def test_arbitrary_slash_command_text(slack, theirs, text):
    answer = await slack.command(text)
    assert answer.status < 500
    await assert_nothing_leaked(slack, theirs)


@examples
@given(
    value=st.text(max_size=200) | anything.map(json.dumps),
    action_id=st.sampled_from(["pf_choose_0", "pf_answer_1", "pf_skip_2", "pf_edit_0", "pf_fill_0", "pf_pick_menu"]),
    team=st.sampled_from(["T1", "T3"]),
)
async def test_arbitrary_button_values_and_actions(slack, theirs, value, action_id, team):
    payload = slack.base_payload("block_actions", team=team)
    payload.update(
        container={"message_ts": "1.0", "channel_id": "C1"},
        channel={"id": "C1"},
        response_url=f"{slack.api.base}/respond/x",
        actions=[{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
    )
    answer = await slack.interact(payload)
    assert answer.status < 500
    await assert_nothing_leaked(slack, theirs)


@examples
@given(
    metadata=st.text(max_size=100) | anything.map(json.dumps),
    values=anything,
    callback=st.sampled_from(["pf_answer_form", "pf_gaps_form", "pf_settings_form"]),
)
async def test_arbitrary_form_submissions(slack, theirs, metadata, values, callback):
    payload = slack.base_payload("view_submission")
    payload["view"] = {
        "id": "V1",
        "type": "modal",
        "hash": "h",
        "callback_id": callback,
        "private_metadata": metadata,
        "state": {"values": values if isinstance(values, dict) else {}},
    }
    answer = await slack.interact(payload)
    assert answer.status < 500
    await assert_nothing_leaked(slack, theirs)


@examples
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain"]),
)
async def test_garbage_bodies(slack, theirs, body, content_type):
    text = body.decode("utf-8", "replace")
    r = await slack.http.post(slack.url + "/slack/events", content=text.encode(), headers={"Content-Type": content_type, **signed(text)})
    assert r.status_code < 500
    await assert_nothing_leaked(slack, theirs)


async def test_truncated_and_oversized_bodies(slack, theirs):
    version = theirs

    whole = urlencode({"payload": json.dumps(slack.base_payload("block_actions"))})
    for cut in (1, len(whole) // 3, len(whole) - 5):
        r = await slack.http.post(
            slack.url + "/slack/events",
            content=whole[:cut],
            headers={"Content-Type": "application/x-www-form-urlencoded", **signed(whole[:cut])},
        )
        assert r.status_code < 500
    huge = "text=" + "x" * (2 * 1024 * 1024)
    r = await slack.http.post(
        slack.url + "/slack/events", content=huge, headers={"Content-Type": "application/x-www-form-urlencoded", **signed(huge)}
    )
    assert r.status_code == 413
    await assert_nothing_leaked(slack, version)


@pytest.fixture
async def tenant_b(teams):
    """An assessment in tenant B that nothing below may change: its stored version."""
    await teams.say("start Theirs", tenant="TENANT-B", conversation="19:b@thread.tacv2")
    return (await teams.core.repos.assessments.load(assessment_id=1)).version


@examples
@given(
    extra=st.dictionaries(
        st.sampled_from(["type", "text", "value", "conversation", "from", "entities", "channelData", "replyToId", "action"]),
        anything,
        max_size=5,
    )
)
async def test_arbitrary_teams_activities(teams, tenant_b, extra):
    activity = {**teams.activity(text="status"), **extra}
    r = await teams.http.post(teams.url + "/api/messages", json=activity)
    assert r.status_code < 500
    await teams.core.workers.drain()
    after = await teams.core.repos.assessments.load(assessment_id=1)
    assert after.version == tenant_b and after.state.answers == {}
    for _, _, sent in teams.connector.calls:
        assert "Traceback" not in json.dumps(sent)
