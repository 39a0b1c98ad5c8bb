"""Teams end to end: Bot Framework activities POSTed to /api/messages, replies to a connector on loopback."""

from urllib.parse import unquote

from tests.bot.teams.conftest import CHANNEL
from tests.bot.teams.fake_connector import card_text


async def test_start_posts_the_assessment_card_and_question_one(teams):
    assert await teams.say("start Churn model") in (200, 201)
    await teams.connector.wait_for(3)
    cards = teams.connector.cards()
    assert "AI readiness: Churn model" in card_text(cards[0])
    assert "Question 1 of 8" in card_text(cards[-1])
    inputs = [b for b in cards[-1]["body"] if b["type"].startswith("Input.")]
    assert [i["id"] for i in inputs] == ["data.choice", "data.notes"]
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.place.platform == "teams" and loaded.place.workspace == "TENANT-A" and loaded.place.channel == CHANNEL
    assert loaded.place.thread == cards[0]["_id"]


def last_question(teams, number):
    return next(c for c in reversed(teams.connector.cards()) if f"Question {number} of 8" in card_text(c))


async def test_a_whole_assessment_on_the_cards_the_bot_sent(teams):
    await teams.say("start Churn model")
    await teams.connector.wait_for(3)
    answers = {
        1: {"data.choice": "partly", "data.notes": "nightly batch"},
        2: {"process.choice": "defined"},
        3: {"roi.statement": "Cut churn", "roi.baseline": "6%", "roi.target": "below 4%", "roi.by_when": "2099-06-30"},
        4: {"governance.choice": "parallel", "governance.reviewer": "Priya"},
        5: {"ownership.owner": "Dana", "ownership.budget": "120k EUR", "ownership.time": "20%"},
        6: {"monitoring.checks": "accuracy_drift,data_drift,threshold_alerts,retraining_trigger"},
        7: {"skills.choice": "yes"},
        8: {"use_case.choice": "real"},
    }
    for number, inputs in answers.items():
        card = last_question(teams, number)
        assert await teams.submit(card, "Save", inputs) in (200, 201)
        if number < 8:
            await teams.connector.wait_for(3 + number)
    review = next(c for c in reversed(teams.connector.cards()) if "Review · Churn model · 8 of 8 answered" in card_text(c))
    await teams.submit(review, "Finish")
    summary = teams.connector.updates()[-2]["attachments"][0]["content"]  # in place of the review; then the card's redraw
    assert teams.connector.updates()[-2]["_id"] == review["_id"] and "Finish" not in card_text(summary)
    assert card_text(summary).startswith("Churn model: 94% · Ready for production")
    assert "Next steps:" in card_text(summary) and "Turn the workarounds into a dated plan" in card_text(summary)

    updates = teams.connector.updates()
    saved = [u for u in updates if "Answered by" in card_text(u["attachments"][0]["content"])]
    assert len(saved) == 8  # each question card updated in place with the answer and who gave it
    assert "<at>Ana</at>" in card_text(saved[0]["attachments"][0]["content"])
    final_card = [u for u in updates if u["_id"] == teams.connector.cards()[0]["_id"]][-1]["attachments"][0]["content"]
    assert "finished" in card_text(final_card)

    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.stage.value == "finished" and len(loaded.state.answers) == 8
    assert loaded.state.answers["ownership"].values["budget"] == {"amount": 120000, "currency": "EUR"}
    assert loaded.state.answers["data"].by.id == "29:ana"
    assert len(await teams.core.repos.assessments.history(assessment_id=1)) == 8


async def test_skip_back_and_typed_commands(teams):
    await teams.say("start Churn model")
    await teams.connector.wait_for(3)
    await teams.submit(last_question(teams, 1), "Skip")
    await teams.submit(last_question(teams, 2), "Back")
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.skipped == {"data"} and loaded.state.current.key == "data"
    await teams.say("status")
    assert "Churn model · question 1 of 8 · 0 of 8 answered" in teams.connector.sent()[-1]["text"]
    await teams.say("help")
    assert "@Preflight start &lt;project&gt;: start the check" in teams.connector.sent()[-1]["text"]
    await teams.say("frobnicate")  # where a check is running, typed text answers the question on screen
    assert "'frobnicate' is not one of the choices. Pick one: 1) Built for AI workloads" in teams.connector.sent()[-1]["text"]
    await teams.say("frobnicate", conversation="19:elsewhere@thread.tacv2")
    assert "I don't know '@Preflight frobnicate'" in teams.connector.sent()[-1]["text"]


async def test_owner_sponsor_and_list(teams):
    await teams.say("start Churn model")
    await teams.connector.wait_for(3)
    dana = {"id": "29:dana", "name": "Dana"}
    await teams.say("owner <at>Dana</at>", mentions=[dana])
    await teams.say("sponsor <at>Sam</at>", mentions=[{"id": "29:sam", "name": "Sam"}])
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.owner.id == "29:dana" and loaded.state.sponsor.id == "29:sam"
    card = [u for u in teams.connector.updates() if u["_id"] == teams.connector.cards()[0]["_id"]][-1]["attachments"][0]["content"]
    assert "<at>Dana</at>" in card_text(card) and card["msteams"]["entities"][0]["mentioned"]["id"] in ("29:sam", "29:dana")
    await teams.say("owner Dana")
    assert "Name the person with @" in teams.connector.sent()[-1]["text"]
    await teams.say("list")
    assert "Churn model" in teams.connector.sent()[-1]["text"]


async def test_another_tenant_cannot_reach_an_assessment(teams):
    await teams.say("start Churn model")
    await teams.connector.wait_for(3)
    card = last_question(teams, 1)
    eve = {"id": "29:eve", "name": "Eve"}
    await teams.submit(card, "Save", {"data.choice": "legacy"}, tenant="TENANT-B", user=eve)
    assert teams.connector.sent()[-1]["text"] == "That assessment no longer exists here."
    await teams.say("status", tenant="TENANT-B", user=eve)
    assert "There is no readiness check in this conversation yet" in teams.connector.sent()[-1]["text"]
    await teams.post(teams.activity(value={"pf": "answer", "a": "1 OR 1=1", "q": "data", "data.choice": "legacy"}))
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers == {} and loaded.version == 1


async def test_a_redelivered_activity_is_handled_once(teams):
    activity = teams.activity(text="start Churn model")
    for _ in range(3):
        await teams.post(activity)
    assert len(await teams.core.repos.assessments.listing(platform="teams", workspace="TENANT-A")) == 1


async def test_uninstall_deletes_that_tenant_only(teams):
    await teams.say("start Churn model")
    await teams.say("start Other", tenant="TENANT-B", conversation="19:other@thread.tacv2")
    remove = teams.activity(tenant="TENANT-B", conversation="19:other@thread.tacv2")
    remove.update(type="installationUpdate", action="remove")
    await teams.post(remove)
    assert await teams.core.repos.assessments.listing(platform="teams", workspace="TENANT-B") == []
    assert len(await teams.core.repos.assessments.listing(platform="teams", workspace="TENANT-A")) == 1


async def test_cards_escape_user_text_and_stay_small(teams):
    await teams.say("start **bold** [link](http://x) <at>Sam</at>")
    await teams.connector.wait_for(3)
    card = teams.connector.cards()[0]
    assert "\\*\\*bold\\*\\* \\[link\\](http://x) @Sam" in card_text(card)  # a mention in a name reads as typed
    view = last_question(teams, 1)
    await teams.submit(view, "Save", {"data.choice": "partly", "data.notes": "x" * 3000})
    import json

    assert all(len(json.dumps(a)) < 28_000 for a in teams.connector.sent() + teams.connector.updates())
    assert {unquote(cid) for _, cid, _ in teams.connector.calls} == {CHANNEL}  # every reply went to the channel it came from


async def test_command_buttons_send_without_the_cards_inputs_and_required_inputs_say_why(teams):
    """Skip and Back must work on a question whose inputs are still empty; an empty Save names what is missing."""
    await teams.say("start Churn model")
    await teams.connector.wait_for(3)
    for card in teams.connector.cards():
        for action in card.get("actions", []):
            if action["data"].get("pf") == "act":
                assert action["associatedInputs"] == "none", action
    question = last_question(teams, 1)
    required = [i for i in question["body"] if i.get("isRequired")]
    assert required and all(i["errorMessage"] for i in required)
    assert {a["title"] for a in question["actions"]} >= {"Save", "Skip"}
