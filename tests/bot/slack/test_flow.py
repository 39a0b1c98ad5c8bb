"""A whole assessment in Slack, by clicking the buttons the bot posted and submitting the forms it opened."""

import asyncio
import json

from sqlmodel import select

from conversations.people import Person
from storage.tables import Answer, AnswerChange, Assessment
from tests.bot.slack.conftest import text_of
from tests.conftest import session_of

BO = {"id": "UBO", "name": "bo"}


async def started(slack, project="Churn model"):
    answer = await slack.command(f"start {project}")
    assert answer.status == 200
    await slack.api.wait_for("chat.postMessage", 3)  # card, intro, question 1
    return slack.last("Question 1 of 8")


async def open_form(slack, message, label="Answer…", user=None):
    before = slack.api.count("views.open")
    await slack.click(message, label, user=user)
    opened = await slack.api.wait_for("views.open", before + 1)
    return opened[-1]["view"]


async def test_a_burst_of_requests_after_a_start_checks_the_token_once(slack):
    answers = await asyncio.gather(*(slack.command(f"start Project {n}", channel=f"C{n}") for n in range(10)))
    assert [a.status for a in answers] == [200] * 10
    await slack.api.wait_for("chat.postMessage", 30)
    assert slack.api.count("auth.test") == 1


async def test_a_failed_token_check_is_asked_again_by_the_next_request(slack):
    slack.api.fail("auth.test", "invalid_auth")
    await slack.command("start Churn model")
    await started(slack, "Churn model")
    assert slack.api.count("auth.test") == 2


async def test_start_posts_a_card_and_asks_question_one_in_its_thread(slack):
    answer = await slack.command("start Churn model")
    assert answer.status == 200 and answer.text == ""
    posts = await slack.api.wait_for("chat.postMessage", 3)
    card, intro, first = posts[:3]
    assert card["channel"] == "C1" and "thread_ts" not in card
    assert "AI readiness: Churn model" in text_of(card) and "0 of 8 answered" in text_of(card)
    assert intro["thread_ts"] == card["_ts"] and first["thread_ts"] == card["_ts"]
    assert "Question 1 of 8" in text_of(first)
    labels = [e["text"]["text"] for b in first["blocks"] for e in b.get("elements", []) if e.get("type") == "button"]
    assert labels == [
        "Built for AI workloads (real-time inference, volume)",
        "Partly, workarounds planned",
        "Legacy systems",
        "Add details…",
        "Skip",
    ]
    async with session_of(slack.core) as session:
        row = (await session.exec(select(Assessment))).one()
    assert (row.project, row.channel, row.thread, row.platform) == ("Churn model", "C1", card["_ts"], "slack")


async def test_a_whole_assessment_by_buttons_and_forms(slack):
    q1 = await started(slack)
    await slack.click(q1, "Partly, workarounds planned")
    await slack.api.wait_for("chat.update", 2)  # the question in place, the card
    assert "Answered by <@UANA>" in text_of(slack.last("Partly, workarounds planned"))

    q2 = slack.last("Question 2 of 8")
    await slack.click(q2, "Defined stages, gate criteria, sign-offs", user=BO)

    await slack.api.wait_for("chat.postMessage", 5)
    q3 = slack.last("Question 3 of 8")
    view = await open_form(slack, q3)
    answer = await slack.submit(view, {"statement": "Cut SME churn", "baseline": "6.1%", "target": "below 4%", "by_when": "2099-06-30"})
    assert answer.status == 200 and answer.text == ""

    await slack.api.wait_for("chat.postMessage", 6)
    q4 = slack.last("Question 4 of 8")
    view = await open_form(slack, q4, "Add details…")
    await slack.submit(view, {"choice": "parallel", "reviewer": "UPRIYA"})

    await slack.api.wait_for("chat.postMessage", 7)
    view = await open_form(slack, slack.last("Question 5 of 8"))
    assert [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"] == [
        "users_select",
        "plain_text_input",
        "plain_text_input",
    ]
    hints = {b["block_id"]: b.get("hint", {}).get("text", "") for b in view["blocks"] if b["type"] == "input"}
    assert "Can wait, but a blocking gap until given." in hints["owner"] and "blocking gap" in hints["budget"]
    assert "Can wait, but counts toward the score." in hints["time"]  # Slack marks all three "(optional)"
    slack.api.users["UDANA"] = {"name": "dana", "real_name": "Dana Levi", "profile": {"display_name": "Dana L.", "real_name": "Dana Levi"}}
    await slack.submit(view, {"owner": "UDANA", "budget": "120k EUR", "time": "20% of one engineer"})

    await slack.api.wait_for("chat.postMessage", 8)
    view = await open_form(slack, slack.last("Question 6 of 8"))
    await slack.submit(view, {"checks": ["accuracy_drift", "data_drift", "threshold_alerts", "retraining_trigger"]})

    await slack.api.wait_for("chat.postMessage", 9)
    await slack.click(slack.last("Question 7 of 8"), "Yes")
    await slack.api.wait_for("chat.postMessage", 10)
    await slack.click(slack.last("Question 8 of 8"), "A real operational problem with measurable ROI")

    await slack.api.wait_for("chat.postMessage", 11)
    review = slack.last("Review · Churn model · 8 of 8 answered")
    await slack.click(review, "Finish")
    await slack.core.workers.drain()

    summary = slack.last("Churn model: 94% · Ready for production")
    assert "No blocking gaps" in text_of(summary)
    assert summary["ts"] == review["ts"] and "Finish" not in text_of(summary)  # the review became the summary: no live Finish
    assert slack.api.count("chat.postMessage") == 11
    card = slack.messages()[0]
    card_text = text_of(card)
    assert "finished" in card_text and "94% · Ready for production" in card_text
    assert "<@UDANA>" in card_text and "Blocking gaps:* none" in card_text
    assert "Next steps" not in card_text and "The summary and the next steps are in the thread below." in card_text  # said once

    async with session_of(slack.core) as session:
        row = (await session.exec(select(Assessment))).one()
        answers = {a.question: a for a in (await session.exec(select(Answer))).all()}
        history = (await session.exec(select(AnswerChange))).all()
    assert row.stage == "finished" and row.gaps == "" and row.answered == 8
    assert answers["ownership"].value == {
        "owner": {"id": "UDANA", "name": "Dana L."},  # the name people see in Slack, for exports and other platforms
        "budget": {"amount": "120000", "currency": "EUR"},  # amounts are stored as decimal strings
        "time": "20% of one engineer",
    }
    assert answers["roi"].value["by_when"] == "2099-06-30"
    assert len(history) == 8
    loaded = await slack.core.repos.assessments.load(assessment_id=row.id)
    assert loaded.state.answers["process"].by.id == "UBO" and loaded.state.answers["data"].by.id == "UANA"


async def test_skip_and_back_from_buttons(slack):
    q1 = await started(slack)
    await slack.click(q1, "Skip")
    await slack.api.wait_for("chat.postMessage", 4)
    assert "Skipped question 1" in text_of(slack.messages()[2])  # updated in place
    q2 = slack.last("Question 2 of 8")
    await slack.click(q2, "Back")
    await slack.api.wait_for("chat.postMessage", 5)
    again = slack.messages()[-1]
    assert "Question 1 of 8" in text_of(again)
    left = next(m for m in slack.messages() if m["ts"] == q2["ts"])  # question 2's message, retired in place
    assert text_of(left).startswith("Went back to question 1.") and not [b for b in left["blocks"] if b["type"] == "actions"]


async def test_a_stale_skip_button_does_not_skip_the_next_question(slack):
    q1 = await started(slack)
    await slack.click(q1, "Partly, workarounds planned")
    await slack.api.wait_for("chat.postMessage", 4)
    await slack.click(q1, "Skip", user=BO)  # the same old message, pressed late
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.skipped == frozenset() and loaded.state.current.key == "process"


async def test_form_errors_come_back_in_the_modal_and_nothing_is_saved(slack):
    await started(slack)
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    message = slack.last("Question 1 of 8")
    await slack.click(message, "Skip")
    await slack.api.wait_for("chat.postMessage", 4)
    await slack.click(slack.last("Question 2 of 8"), "Skip")
    await slack.api.wait_for("chat.postMessage", 5)
    view = await open_form(slack, slack.last("Question 3 of 8"))
    answer = await slack.submit(view, {"statement": "Cut churn", "target": "much lower", "by_when": None})
    assert answer.status == 200
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"target": "Target: a target needs a number to be measurable, e.g. 'below 4% a month' (you wrote 'much lower')."},
    }
    assert "roi" not in (await slack.core.repos.assessments.load(assessment_id=1)).state.answers
    fixed = await slack.submit(view, {"statement": "Cut churn", "target": "below 4%", "by_when": "2099-01-31"})
    assert fixed.status == 200 and fixed.text == ""
    await slack.core.workers.drain()
    assert (await slack.core.repos.assessments.load(assessment_id=1)).state.answers["roi"].values["target"] == "below 4%"
    assert loaded is not None


async def test_an_roi_draft_asks_for_target_and_date(slack):
    q1 = await started(slack)
    await slack.click(q1, "Skip")
    await slack.api.wait_for("chat.postMessage", 4)
    await slack.click(slack.last("Question 2 of 8"), "Skip")
    await slack.api.wait_for("chat.postMessage", 5)
    q3 = slack.last("Question 3 of 8")
    view = await open_form(slack, q3)
    await slack.submit(view, {"statement": "Cut churn"})
    await slack.api.wait_for("chat.postMessage", 6)
    await slack.core.workers.drain()
    saved = next(m for m in slack.messages() if m["ts"] == q3["ts"])
    assert "Saved as a draft" in text_of(saved) and "What is the target, and by when?" in text_of(saved)
    again = await open_form(slack, saved, "Add target and date")
    inputs = {b["block_id"]: b["element"] for b in again["blocks"] if b["type"] == "input"}
    assert inputs["statement"]["initial_value"] == "Cut churn" and "initial_value" not in inputs["target"]
    assert json.loads(again["private_metadata"])["q"] == "roi"


async def test_status_list_and_help(slack):
    await started(slack)
    await slack.command("start Fraud model", channel="C2")
    await slack.api.wait_for("chat.postMessage", 6)
    await slack.command("status")
    status = (await slack.api.wait_for("response_url", 1))[-1]
    assert status["response_type"] == "ephemeral"
    assert "Churn model · question 1 of 8 · 0 of 8 answered" in status["text"]
    await slack.command("list")
    listed = (await slack.api.wait_for("response_url", 2))[-1]["text"]
    assert "Readiness checks in this workspace (2)" in listed and "Churn model" in listed and "Fraud model" in listed
    for text in ("help", "", "frobnicate", "start"):
        answer = await slack.command(text)
        assert answer.status == 200 and "/readiness start <project>" not in answer.text  # escaped once for mrkdwn
        assert "/readiness start &lt;project&gt;" in answer.text
    assert "I don't know '/readiness frobnicate'" in (await slack.command("frobnicate")).text
    assert "Name the project" in (await slack.command("start")).text
    assert "at most 80 characters" in (await slack.command("start " + "x" * 200)).text


async def test_status_in_a_channel_without_an_assessment(slack):
    await slack.command("status", channel="C-EMPTY")
    said = (await slack.api.wait_for("response_url"))[-1]["text"]
    assert "There is no readiness check in this conversation yet" in said


async def test_owner_and_sponsor_commands_update_the_card(slack):
    await started(slack)
    slack.api.users["UDANA"] = {"name": "dana", "profile": {"display_name": "Dana"}}
    await slack.command("owner <@UDANA|dana>")
    await slack.api.wait_for("chat.postMessage", 4)
    await slack.command("sponsor <@USAM|sam>")
    await slack.api.wait_for("chat.postMessage", 5)
    await slack.core.workers.drain()
    card = text_of(slack.messages()[0])
    assert "*Production owner*\n<@UDANA>" in card and "*Sponsor*\n<@USAM>" in card
    assert slack.last("is now the production owner")["thread_ts"] == slack.messages()[0]["ts"]
    assert "Dana is now the production owner of Churn model." in text_of(slack.last("is now the production owner"))
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.owner == Person(name="Dana", id="UDANA") and loaded.state.sponsor.id == "USAM"
    answer = await slack.command("owner dana")
    assert "Name the person with @" in answer.text


async def test_app_home_lists_my_assessments(slack):
    await started(slack)
    await slack.command("start Someone else's", user=BO, channel="C2")
    await slack.api.wait_for("chat.postMessage", 6)
    await slack.event({"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}, event_id="Ev1")
    published = (await slack.api.wait_for("views.publish"))[-1]
    assert published["user_id"] == "UANA"
    shown = json.dumps(published["view"])
    assert "Churn model" in shown and "Someone else" not in shown
    home = published["view"]
    await slack.click({"ts": "1", "channel": "D1", "blocks": home["blocks"]}, "Continue")
    await slack.api.wait_for("chat.postMessage", 8)
    assert "Resuming Churn model" in text_of(slack.messages()[-2])


async def test_slack_slowing_one_channel_down_holds_no_one_else_up(slack):
    """Slack answers one update with 429 and Retry-After: that request waits its turn in the inbox,
    not in a worker; the answer it carried is stored, and other channels' answers show at once."""
    import time

    await slack.command("start Churn model", channel="C1")
    await slack.command("start Fraud model", channel="C2")
    await slack.api.wait_for("chat.postMessage", 6)
    q1 = next(m for m in slack.messages() if m["channel"] == "C1" and "Question 1 of 8" in text_of(m))
    q2 = next(m for m in slack.messages() if m["channel"] == "C2" and "Question 1 of 8" in text_of(m))
    slack.api.fail("chat.update", "ratelimited", status=429, headers={"Retry-After": "2"})
    await slack.click(q1, "Legacy systems")
    await slack.api.wait_for("chat.update", 1)  # refused with 429
    began = time.monotonic()
    await slack.click(q2, "Legacy systems")
    updates = await slack.api.wait_for("chat.update", 2)
    assert updates[-1]["channel"] == "C2" and time.monotonic() - began < 1.5
    stored = await slack.core.repos.assessments.load(assessment_id=1)
    assert stored.state.answers["data"].values["choice"] == "legacy"  # saved before Slack said to wait
    await slack.core.workers.drain()  # after the Retry-After, C1's request is worked on again
    c1_updates = [u for u in slack.api.of("chat.update") if u["channel"] == "C1"]
    assert len(c1_updates) >= 2 and "1 of 8 answered" in text_of(slack.messages()[0])  # the card caught up
    assert "Question 2 of 8" in text_of(slack.messages()[-1])  # and the thread says where the check stands


async def test_starting_a_check_of_a_name_already_here_points_to_it(slack):
    await slack.command("start Churn model")
    await slack.api.wait_for("chat.postMessage", 3)
    await slack.core.workers.drain()
    assert (await slack.command("start churn model")).status == 200  # the same command again, a moment later
    said = (await slack.api.wait_for("response_url"))[-1]
    assert said["text"] == "Churn model already has a check here, at question 1 of 8; carry on with that one."
    await slack.core.workers.drain()
    assert slack.api.count("chat.postMessage") == 3  # no second card, no second thread
    assert len(await slack.core.repos.assessments.listing(platform="slack", workspace="T1")) == 1
    await slack.command("start Churn model", channel="C2")  # another channel: its own check
    await slack.api.wait_for("chat.postMessage", 6)
