"""A whole assessment in Teams, every button pressed in Microsoft's renderer as a person presses it.

The real server (the in-process app the Teams tests use, anonymous auth) and the fake connector at
the network edge; each card the bot posted or updated is drawn by the Adaptive Cards renderer with
Teams' host config, its inputs filled through the DOM it drew (or left untouched), its button
clicked, and what onExecuteAction handed over posted back as Teams' message activity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.clients.teams_client import Person, schema_errors

ANA = {"id": "29:ana", "name": "Ana", "aadObjectId": "aad-ana"}
ANSWERS = {
    1: {"data.choice": "partly", "data.notes": "nightly batch today, streaming planned"},
    2: {"process.choice": "defined"},
    3: {"roi.statement": "Cut churn", "roi.baseline": "6.1%", "roi.target": "below 4%", "roi.by_when": "2099-06-30"},
    4: {"governance.choice": "parallel", "governance.reviewer": "Priya"},
    5: {"ownership.owner": "Dana Lee", "ownership.budget": "120000 EUR", "ownership.time": "20% of one engineer"},
    6: {"monitoring.checks": ["accuracy_drift", "data_drift", "threshold_alerts", "retraining_trigger"]},
    7: {"skills.choice": "yes"},
    8: {"use_case.choice": "real"},
}
WEDNESDAY_TEN = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def assert_drawn_cleanly(person: Person) -> None:
    """Every card in the conversation is valid for its declared schema and draws without complaint."""
    for message in person.cards():
        assert message.card is not None
        assert schema_errors(message.card) == [], message.card
        drawn = person.look(message)
        assert drawn.problems == [] and drawn.page_errors == [], (drawn.problems, drawn.page_errors)
        assert drawn.text.strip(), message.card


async def answer_all(person: Person, answers: dict[int, dict] = ANSWERS, *, shots: bool = False) -> None:
    for number, fill in answers.items():
        question = person.find(f"Question {number} of 8")
        pressed = await person.press(question, "Save", fill, shot=f"question-{number}-filled" if shots else None)
        assert pressed.invalid == [], pressed.invalid
        saved = next(m for m in person.messages() if m.id == question.id)
        assert saved.updates == 1, "the question card is replaced by the answer"
        assert "Answered by Ana" in person.look(saved, f"saved-{number}" if shots and number in (1, 6) else None).text


async def escalated(teams) -> tuple[datetime, str]:
    """Nudge passes day by day until the sponsor is told in a personal chat; the day and that chat."""
    day = WEDNESDAY_TEN
    for _ in range(14):  # a nudge every two business days; the sponsor is told after three
        await teams.core.scheduler.nudge_pass(now=day)
        created = [cid for verb, cid, _ in teams.connector.calls if verb == "create"]
        if created:
            return day, created[0]
        day += timedelta(days=1)
    raise AssertionError("no escalation was sent to the sponsor")


async def test_a_whole_assessment_in_the_renderer(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    top = ana.cards()[0]
    assert "AI readiness: Churn model" in ana.look(top, "assessment-card-new").text

    first = ana.find("Question 1 of 8")
    drawn = ana.look(first, "question-1")
    assert [i["id"] for i in drawn.inputs] == ["data.choice", "data.notes"]
    assert drawn.input("data.choice")["choices"][0]["title"] == "Built for AI workloads (real-time inference, volume)"

    # Save with the inputs as the card came: the renderer refuses and names the required choice.
    untouched = await ana.press(first, "Save")
    assert untouched.executed == [] and untouched.invalid == ["data.choice"]
    # Skip and Back work with nothing filled in.
    assert (await ana.press(first, "Skip")).data["pf"] == "act"
    second = ana.find("Question 2 of 8")
    await ana.press(second, "Back")
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.skipped == {"data"} and loaded.state.current.key == "data"

    await answer_all(ana, shots=True)
    review = ana.find("Review · Churn model · 8 of 8 answered")
    ana.look(review, "review")
    await ana.press(review, "Finish")
    summary = ana.find("Churn model: 94% · Ready for production")
    assert "Next steps" in ana.look(summary, "summary").text
    assert "finished" in ana.look(next(m for m in ana.messages() if m.id == top.id), "assessment-card-finished").text

    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.stage.value == "finished" and len(loaded.state.answers) == 8
    assert loaded.state.answers["ownership"].values["budget"] == {"amount": 120000, "currency": "EUR"}
    assert loaded.state.answers["roi"].values["by_when"] == "2099-06-30"
    assert set(loaded.state.answers["monitoring"].values["checks"]) == set(ANSWERS[6]["monitoring.checks"])
    assert loaded.state.answers["data"].values["notes"] == "nightly batch today, streaming planned"
    assert {a.by.id for a in loaded.state.answers.values()} == {"29:ana"}
    assert_drawn_cleanly(ana)


async def test_change_an_answer_from_the_saved_card_and_from_the_summary(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await answer_all(ana)
    await ana.press(ana.find("Review · Churn model"), "Finish")

    # "Change" on an answered question brings its form back, filled in with the answer.
    saved = ana.find("✅ 3. ROI in business terms")
    await ana.press(saved, "Change")
    form = ana.find("Question 3 of 8")
    drawn = ana.look(form, "question-3-change")
    assert drawn.input("roi.statement")["value"] == "Cut churn" and drawn.input("roi.by_when")["value"] == "2099-06-30"
    await ana.press(form, "Save", {"roi.target": "below 3.5%"})
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["roi"].values["target"] == "below 3.5%"

    # The summary's drop-down, picked through the DOM, opens the chosen question.
    summary = ana.find("Churn model: 94%")
    await ana.press(summary, "Change an answer", {"pick": "7. Skills gap"})
    seven = ana.find("Question 7 of 8")
    await ana.press(seven, "Save", {"skills.choice": "partly"})
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["skills"].values["choice"] == "partly"
    assert_drawn_cleanly(ana)


async def test_status_list_continue_and_help(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await ana.press(ana.find("Question 1 of 8"), "Save", ANSWERS[1])
    await ana.say("status")
    status = ana.messages()[-1]  # text only, for the person who asked: Teams shows it as a message, not a card
    assert status.card is None and "Churn model · question 2 of 8 · 1 of 8 answered" in (status.text or "")
    before = len(ana.cards())
    await ana.press(ana.cards()[0], "Continue")  # the assessment card's button
    assert len(ana.cards()) > before and "Question 2 of 8" in ana.look(ana.cards()[-1]).text
    await ana.say("list")
    listing = ana.messages()[-1]
    shown = ana.look(listing, "list").text if listing.card else listing.text or ""
    assert "Churn model" in shown
    assert_drawn_cleanly(ana)


async def test_the_gaps_form_from_a_nudge_and_the_escalation_and_digest(teams, renderer, artifacts):
    """The scheduler's pass, in process: a nudge with Fill in now, the sponsor's escalation and digest."""
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await ana.say("sponsor <at>Sam</at>", mentions=[{"id": "29:sam", "name": "Sam"}])
    gaps = {**ANSWERS, 5: {"ownership.budget": "not allocated"}}
    await answer_all(ana, gaps)
    await ana.press(ana.find("Review · Churn model"), "Finish")

    report = await teams.core.scheduler.nudge_pass(now=WEDNESDAY_TEN)
    assert report.sent == 1, report
    nudge = ana.find("can't go to production yet")
    drawn = ana.look(nudge, "nudge")
    assert drawn.buttons == ["Fill in now", "Snooze a week"]
    await ana.press(nudge, "Fill in now")
    form = ana.cards()[-1]
    drawn = ana.look(form, "gaps-form")
    assert [i["id"] for i in drawn.inputs] == ["ownership.owner", "ownership.budget"], drawn.inputs
    refused = await ana.press(form, "Save")  # untouched: nothing is sent, or the bot says what is missing
    assert refused.executed == [] or "needed" in (ana.messages()[-1].text or ana.look(ana.cards()[-1]).text)
    await ana.press(form, "Save", {"ownership.owner": "Dana Lee", "ownership.budget": "90000 EUR"}, shot="gaps-form-filled")
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["ownership"].values["budget"] == {"amount": 90000, "currency": "EUR"}
    assert_drawn_cleanly(ana)


async def test_escalation_and_digest_reach_the_sponsor_in_a_personal_chat(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await ana.say("sponsor <at>Sam</at>", mentions=[{"id": "29:sam", "name": "Sam"}])
    await answer_all(ana, {**ANSWERS, 5: {"ownership.budget": "not allocated"}})
    await ana.press(ana.find("Review · Churn model"), "Finish")
    day, chat = await escalated(teams)
    sam = Person(teams, renderer, artifacts, user={"id": "29:sam", "name": "Sam"}, conversation=chat, kind="personal")
    escalation = sam.cards()[-1]
    assert "Churn model" in sam.look(escalation, "escalation").text
    for message in sam.cards():
        assert message.card is not None and schema_errors(message.card) == []

    await teams.core.scheduler.digest_pass(now=day)
    await teams.core.scheduler.digest_pass(now=day + timedelta(days=7))
    digest = sam.find("weekly AI readiness digest")
    sam.look(digest, "digest")
    assert_drawn_cleanly(sam)
