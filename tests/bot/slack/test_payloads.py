"""Slack's own request shapes, replayed: what people typed comes back as they typed it, escaped once."""

from typing import Any

from tests.bot.slack import replay
from tests.bot.slack.conftest import text_of

TYPED = "R&D <new> churn"
IN_MRKDWN = "R&amp;D &lt;new&gt; churn"


def text_objects(value: Any) -> list[tuple[str, str]]:
    """Every Block Kit text object in blocks or a view: (type, text)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            found.append((value["type"], value["text"]))
        for inner in value.values():
            found += text_objects(inner)
    elif isinstance(value, list):
        for inner in value:
            found += text_objects(inner)
    return found


def shows_typed(blocks: Any) -> bool:
    """The project as typed appears, and every text naming it is escaped exactly once for its type."""
    named = [(kind, text) for kind, text in text_objects(blocks) if "churn" in text]
    for kind, text in named:
        if kind == "mrkdwn":
            assert IN_MRKDWN in text and "<new>" not in text and "&amp;amp;" not in text and "&amp;lt;" not in text, text
        else:
            assert TYPED in text and "&amp;" not in text and "&lt;" not in text, text
    return bool(named)


async def test_typed_text_round_trips_on_the_card_thread_status_list_and_home(slack):
    answer = await replay.command(slack)  # text: "start R&amp;D &lt;new&gt; churn", as Slack escapes it
    assert answer.status == 200 and answer.text == ""
    posts = await slack.api.wait_for("chat.postMessage", 3)
    card, intro, _first = posts[:3]
    assert shows_typed(card["blocks"]) and shows_typed(intro["blocks"])
    assert TYPED in text_of(card) or IN_MRKDWN in card["text"]
    assert "&amp;amp;" not in card["text"] and "&lt;new&gt;" in card["text"]  # the fallback text is mrkdwn too

    await replay.command(slack, text="status")
    (status,) = await slack.api.wait_for("response_url")
    assert shows_typed(status.get("blocks") or [{"type": "mrkdwn", "text": status["text"]}])

    await replay.command(slack, text="list")
    listed = (await slack.api.wait_for("response_url", 2))[-1]
    assert shows_typed(listed.get("blocks") or [{"type": "mrkdwn", "text": listed["text"]}])

    await replay.event(slack, "event_app_home_opened.json")
    (published,) = await slack.api.wait_for("views.publish")
    assert published["user_id"] == "UANA" and shows_typed(published["view"])


async def test_buttons_menus_and_every_kind_of_form_input_as_slack_sends_them(slack):
    await replay.command(slack)
    await slack.api.wait_for("chat.postMessage", 3)
    q1 = slack.last("Question 1 of 8")
    assert (await replay.click(slack, q1, "Legacy systems")).status == 200
    await slack.api.wait_for("chat.update", 2)
    assert "Answered by <@UANA>" in text_of(slack.last("Legacy systems"))

    q2 = slack.last("Question 2 of 8")
    assert (await replay.click(slack, q2, "Improvised")).status == 200
    await slack.api.wait_for("chat.postMessage", 5)
    q3 = slack.last("Question 3 of 8")
    before = slack.api.count("views.open")
    await replay.click(slack, q3, "Answer…")
    view = (await slack.api.wait_for("views.open", before + 1))[-1]["view"]
    kinds = {b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert "plain_text_input" in kinds and "datepicker" in kinds
    answer = await replay.submit(slack, view, {"statement": TYPED, "baseline": "6.1%", "target": "below 4%", "by_when": "2099-06-30"})
    assert answer.status == 200 and answer.text == ""
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["roi"].values["statement"] == TYPED
    saved = slack.last("Answered by")
    assert shows_typed(saved["blocks"])

    await slack.api.wait_for("chat.postMessage", 6)
    view = await opened(slack, slack.last("Question 4 of 8"), "Add details…")
    await replay.submit(slack, view, {"choice": "parallel", "reviewer": "UPRIYA"})  # radio_buttons, users_select
    await slack.api.wait_for("chat.postMessage", 7)
    view = await opened(slack, slack.last("Question 5 of 8"), "Answer…")
    await replay.submit(slack, view, {"owner": "UDANA", "budget": "120k EUR", "time": "20% of one engineer"})
    await slack.api.wait_for("chat.postMessage", 8)
    view = await opened(slack, slack.last("Question 6 of 8"), "Answer…")
    assert [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"] == ["checkboxes"]
    await replay.submit(slack, view, {"checks": ["accuracy_drift", "data_drift"]})
    await slack.api.wait_for("chat.postMessage", 9)
    await replay.click(slack, slack.last("Question 7 of 8"), "Yes")
    await slack.api.wait_for("chat.postMessage", 10)
    await replay.click(slack, slack.last("Question 8 of 8"), "A real operational problem with measurable ROI")
    await slack.api.wait_for("chat.postMessage", 11)
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["governance"].values["reviewer"]["id"] == "UPRIYA"
    assert loaded.state.owner.id == "UDANA" and loaded.state.answers["monitoring"].values["checks"] == ["accuracy_drift", "data_drift"]

    review = slack.last("8 of 8 answered")
    before = slack.api.count("chat.postMessage")
    assert (await replay.choose(slack, review, "1. ")).status == 200
    again = (await slack.api.wait_for("chat.postMessage", before + 1))[-1]
    assert "Question 1 of 8" in text_of(again)
    await slack.core.workers.drain()
    retired = next(m for m in slack.messages() if m["ts"] == review["ts"])  # one live review at a time: this one is retired
    assert text_of(retired).startswith("Changing answer 1: the review comes again once it is saved.")
    assert not [b for b in retired["blocks"] if b["type"] == "actions"]


async def opened(slack, message, label):
    before = slack.api.count("views.open")
    await replay.click(slack, message, label)
    return (await slack.api.wait_for("views.open", before + 1))[-1]["view"]


async def test_the_settings_form_takes_menus_and_times_as_slack_sends_them(slack):
    slack.api.users["UANA"] = {"is_admin": True}
    await replay.command(slack, text="settings")
    view = (await slack.api.wait_for("views.open"))[-1]["view"]
    kinds = {b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert {"timepicker", "static_select"} <= kinds or {"timepicker", "radio_buttons"} <= kinds, kinds
    values = {
        "tz": "Asia/Tokyo",
        "nudge_every": "1",
        "nudge_at": "11:30",
        "work_start": "09:00",
        "work_end": "17:00",
        "stall_hours": "24",
        "escalate_after": "3",
        "stop_after": "6",
        "digest_weekday": "0",
        "digest_at": "09:00",
    }
    answer = await replay.submit(slack, view, values)
    assert answer.status == 200 and answer.text == ""
    await slack.core.workers.drain()
    saved = await slack.core.repos.workspaces.settings(platform="slack", workspace="T1")
    assert (saved.tz, saved.nudge_at.isoformat(), saved.digest_at.isoformat()) == ("Asia/Tokyo", "11:30:00", "09:00:00")


async def test_mentions_channels_links_and_special_mentions_are_read_as_written(slack):
    await replay.command(slack, "command_entities.json")
    await slack.api.wait_for("chat.postMessage", 3)
    await replay.command(slack, text="sponsor <@USAM|sam>")
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.project == "Churn & #ai-projects plan @here"
    assert loaded.state.sponsor is not None and loaded.state.sponsor.id == "USAM"
    card = slack.messages()[0]
    assert "Churn &amp; #ai-projects plan @here" in text_of(card) and "<@USAM>" in text_of(card)
    assert "<!here>" not in text_of(card) and "<#C1" not in text_of(card) and "&amp;amp;" not in text_of(card)


async def test_app_home_buttons_as_slack_sends_them(slack):
    await replay.command(slack)
    await slack.api.wait_for("chat.postMessage", 3)
    await replay.event(slack, "event_app_home_opened.json")
    (published,) = await slack.api.wait_for("views.publish")
    before = len(slack.api.calls)
    assert (await replay.click_home(slack, published["view"], "Continue")).status == 200
    await slack.core.workers.drain()
    after = [(method, params) for method, params in slack.api.calls[before:] if method != "auth.test"]
    assert after, "the click from App Home was answered"
    assert any("Question 1 of 8" in text_of(params) for method, params in after if method.startswith("chat."))
