"""What must hold in Slack: signatures, retries and replays, workspace isolation, escaping, limits, Web API errors."""

import json
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from bot.slack.blocks import MAX_BLOCKS, MAX_TEXT
from conversations import events
from conversations.people import Person
from storage.tables import Answer, Assessment
from tests.bot.slack.conftest import SECRET, slash_command, text_of
from tests.bot.slack.test_flow import open_form, started
from tests.conftest import handle, session_of
from tests.trees import dicts_in

BODY = urlencode(slash_command("start Churn model", trigger="t1", response_url="http://127.0.0.1:9/x"))


def signature(stamp: str, body: str = BODY, secret: str = SECRET) -> str:
    return SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": signature(str(int(time.time())), secret="wrong")},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 301), "X-Slack-Signature": signature(str(int(time.time()) - 301))},
        {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": signature("not-a-number")},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=abc"},
    ],
    ids=["missing", "no-signature", "wrong", "stale", "malformed-timestamp", "empty-timestamp"],
)
async def test_unsigned_or_badly_signed_requests_get_401_and_do_nothing(slack, headers):
    answer = await slack.post(BODY, content_type="application/x-www-form-urlencoded", headers=headers, signed=False)
    assert answer.status == 401
    await slack.core.workers.drain()
    assert slack.api.count("chat.postMessage") == 0
    assert await slack.core.repos.assessments.listing(platform="slack", workspace="T1") == []


async def test_a_signed_request_is_accepted(slack):
    stamp = str(int(time.time()))
    answer = await slack.post(
        BODY,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(stamp)},
        signed=False,
    )
    assert answer.status == 200


async def test_a_replayed_slash_command_starts_one_assessment(slack):
    for _ in range(3):
        await slack.command("start Churn model", trigger="same-trigger")
    await slack.core.workers.drain()
    assert len(await slack.core.repos.assessments.listing(platform="slack", workspace="T1")) == 1
    assert slack.api.count("chat.postMessage") == 3


async def test_a_replayed_click_answers_once(slack):
    q1 = await started(slack)
    for _ in range(3):
        await slack.click(q1, "Legacy systems", trigger="click-1")
    await slack.core.workers.drain()
    assert len(await slack.core.repos.assessments.history(assessment_id=1)) == 1
    assert slack.api.count("chat.postMessage") == 4  # card, intro, question 1, question 2


async def test_a_replayed_form_submission_saves_once(slack):
    q1 = await started(slack)
    view = await open_form(slack, q1, "Add details…")
    for _ in range(3):
        answer = await slack.submit(view, {"choice": "partly", "notes": "nightly batch"})
        assert answer.status == 200
    await slack.core.workers.drain()
    assert len(await slack.core.repos.assessments.history(assessment_id=1)) == 1
    assert slack.api.count("chat.postMessage") == 4


async def test_a_retried_event_is_handled_once(slack):
    await started(slack)
    event = {"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}
    await slack.event(event, event_id="EvHome")
    await slack.api.wait_for("views.publish")
    for retry in (1, 2):
        answer = await slack.event(event, event_id="EvHome", retry=retry)
        assert answer.status == 200
    await slack.core.workers.drain()
    assert slack.api.count("views.publish") == 1


async def test_a_retry_after_a_real_failure_is_handled_once(slack):
    await started(slack)
    slack.api.fail("views.publish", status=500, times=3)  # the first delivery fails, retries included
    event = {"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}
    await slack.event(event, event_id="EvFail")
    await slack.api.wait_for("views.publish", 3)
    await slack.core.workers.drain()
    await slack.event(event, event_id="EvFail", retry=1)
    await slack.api.wait_for("views.publish", 4)
    await slack.event(event, event_id="EvFail", retry=2)
    await slack.core.workers.drain()
    assert slack.api.count("views.publish") == 4


async def test_another_workspace_cannot_read_or_change_an_assessment(slack):
    q1 = await started(slack)
    intruder = {"id": "UEVE", "name": "eve"}
    await slack.click(q1, "Legacy systems", user=intruder, team="T2")
    said = (await slack.api.wait_for("response_url"))[-1]
    assert said["text"] == "That assessment no longer exists here."
    view = await open_form(slack, q1, "Add details…")
    answer = await slack.submit(view, {"choice": "ready"}, user=intruder, team="T2")
    assert answer.json()["response_action"] == "errors"
    await slack.command("status", team="T2")
    status = (await slack.api.wait_for("response_url", 2))[-1]["text"]
    assert "no readiness check in this conversation" in status
    forged = dict(q1)
    forged["blocks"] = json.loads(json.dumps(q1["blocks"]).replace('\\"a\\":1', '\\"a\\":\\"1 OR 1=1\\"'))
    await slack.click(forged, "Legacy systems")
    await slack.api.wait_for("response_url", 3)
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers == {} and loaded.version == 1


async def test_user_text_is_escaped_before_it_is_echoed(slack):
    await slack.command("start <!channel> & <@UBOSS> churn")
    await slack.api.wait_for("chat.postMessage", 3)
    q1 = slack.last("Question 1 of 8")
    view = await open_form(slack, q1, "Add details…")
    await slack.submit(view, {"choice": "partly", "notes": "ping <!here> <@UBOSS> & <https://evil|click>"})
    await slack.core.workers.drain()
    echoed = "\n".join(mrkdwn_of(m) for m in slack.messages())
    assert "&lt;!here&gt; &lt;@UBOSS&gt; &amp; &lt;https://evil|click&gt;" in echoed
    assert "<!here>" not in echoed and "<!channel>" not in echoed and "<@UBOSS>" not in echoed
    assert "@channel &amp; @UBOSS churn" in echoed  # mentions in a name read as typed, and mention no one
    # Headers are plain_text, which Slack never parses for mentions: the name shows as typed.
    assert slack.messages()[0]["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "AI readiness: @channel & @UBOSS churn"},
    }


def mrkdwn_of(message):
    """The text Slack parses: the message text and every mrkdwn object."""
    found = [message.get("text") or ""]
    found += [node["text"] for node in dicts_in(message.get("blocks")) if node.get("type") == "mrkdwn"]
    return "\n".join(found)


async def test_messages_stay_within_block_kit_limits_however_long_the_answers(slack):
    await started(slack)
    long = "x" * 3000
    for q, values in [
        ("data", {"choice": "partly", "notes": long}),
        ("process", {"choice": "some", "link": long}),
        ("roi", {"statement": long, "baseline": long, "target": "1" + long[:2999], "by_when": "2099-01-01"}),
        ("governance", {"choice": "started", "reviewer": None}),
        ("ownership", {"owner": None, "budget": "not allocated", "time": long}),
        ("monitoring", {"checks": []}),
        ("skills", {"choice": "partly", "notes": long}),
        ("use_case", {"choice": "mixed", "problem": long}),
    ]:
        submit = events.Submit(question=q, values=values, by=Person("ana", "UANA"))
        await handle(slack.core, assessment_id=1, event=submit, now=slack.core.clock())
    await slack.click(slack.last("Question 1 of 8"), "Partly, workarounds planned")
    await slack.core.workers.drain()
    review = slack.last("Review · ")
    await slack.click(review, "Finish")
    await slack.core.workers.drain()
    for method in ("chat.postMessage", "chat.update"):
        for params in slack.api.of(method):
            assert len(params.get("text") or "") <= MAX_TEXT
            assert len(params.get("blocks") or []) <= MAX_BLOCKS
            for block in params.get("blocks") or []:
                if "text" in block:
                    assert len(block["text"]["text"]) <= (150 if block["type"] == "header" else MAX_TEXT)
                for f in block.get("fields", []):
                    assert len(f["text"]) <= 2000


async def test_not_in_channel_on_start_is_explained_and_leaves_nothing_behind(slack):
    slack.api.fail("chat.postMessage", "not_in_channel")
    await slack.command("start Churn model")
    said = (await slack.api.wait_for("response_url"))[-1]
    assert said["response_type"] == "ephemeral"
    assert said["text"].startswith("I could not start the check here. I'm not a member of this channel. Invite me with /invite @Preflight")
    assert await slack.core.repos.assessments.listing(platform="slack", workspace="T1") == []


async def test_ratelimited_posts_are_posted_after_retry_after(slack):
    """The check is kept and its card posted once Slack allows, without holding a worker meanwhile."""
    slack.api.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "1"})
    started_at = time.monotonic()
    await slack.command("start Churn model")
    await slack.api.wait_for("chat.postMessage", 4)  # one refused, then card, intro, question
    assert time.monotonic() - started_at >= 1
    assert "Question 1 of 8" in text_of(slack.messages()[-1])
    assert slack.api.count("response_url") == 0


@pytest.mark.parametrize(
    "error, status, says",
    [
        ("channel_not_found", 200, "I can't reach this channel"),
        ("not_in_channel", 200, "Invite me with /invite @Preflight"),
        ("internal_error", 503, "Slack is having trouble right now (HTTP 503)"),
    ],
)
async def test_web_api_errors_after_an_answer_are_explained_and_the_answer_is_kept(slack, error, status, says):
    q1 = await started(slack)
    slack.api.fail("chat.update", error, status=status, times=3, headers={"Retry-After": "0"} if status == 429 else None)
    await slack.click(q1, "Legacy systems")
    said = (await slack.api.wait_for("response_url"))[-1]
    assert says in said["text"] and "Everything answered so far is saved." in said["text"]
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["data"].values["choice"] == "legacy"


async def test_uninstall_deletes_that_workspace_and_nothing_else(slack):
    await started(slack)
    await slack.command("start Other team", team="T2", channel="C9")
    await slack.api.wait_for("chat.postMessage", 6)
    await slack.event({"type": "app_uninstalled"}, event_id="EvGone", team="T2")
    await slack.core.workers.drain()
    assert await slack.core.repos.assessments.listing(platform="slack", workspace="T2") == []
    assert [i.project for i in await slack.core.repos.assessments.listing(platform="slack", workspace="T1")] == ["Churn model"]
    await slack.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, event_id="EvRevoked", team="T1")
    await slack.core.workers.drain()
    async with session_of(slack.core) as session:
        assert (await session.exec(select(Assessment))).all() == []
        assert (await session.exec(select(Answer))).all() == []


async def test_healthz(slack):
    response = await slack.http.get(slack.url + "/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok", "workers": "running"}


async def test_command_text_as_slack_sends_it_is_unescaped_once_and_escaped_once(slack):
    """Slack escapes &, < and > in slash-command text and writes links and channels in angle brackets."""
    await slack.command("start R&amp;D &lt;new&gt; churn for <#C0AIPROJ|ai-projects>, see <https://wiki.example/churn|the wiki>")
    await slack.api.wait_for("chat.postMessage", 3)
    typed = "R&D <new> churn for #ai-projects, see the wiki"
    stored = await slack.core.repos.assessments.load(assessment_id=1)
    assert stored.state.project == typed  # what the person typed, not Slack's encoding of it
    card = slack.messages()[0]
    assert card["blocks"][0]["text"] == {"type": "plain_text", "text": f"AI readiness: {typed}"}  # plain_text: never escaped
    shown = "\n".join(mrkdwn_of(m) for m in slack.messages())
    assert "R&amp;D &lt;new&gt; churn for #ai-projects, see the wiki" in shown  # mrkdwn: escaped once
    assert "&amp;amp;" not in shown and "&amp;lt;" not in shown and "<https://" not in shown
    await slack.command("list")
    listed = (await slack.api.wait_for("response_url"))[-1]["text"]
    assert "R&amp;D &lt;new&gt; churn" in listed and "&amp;amp;" not in listed
