"""Defects Microsoft's renderer showed on the cards, each driven through it: the fix stays fixed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from bot.teams import cards
from conversations import views
from conversations.settings import Settings
from conversations.shown import Form, FormKind
from tests.clients.teams_client import Person, schema_errors
from tests.clients.test_assessment import ANA, ANSWERS, WEDNESDAY_TEN, answer_all, escalated


def text_blocks(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every markdown text in a card (TextBlock text, FactSet values) with its JSON path."""
    if isinstance(node, dict):
        if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
            yield path + "/text", node["text"]
        for key, value in node.items():
            if key == "value" and isinstance(value, str) and "title" in node and node.get("type") is None:
                yield path + "/value", value  # a fact
            yield from text_blocks(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from text_blocks(value, f"{path}/{i}")


async def finished_with_gaps(teams, renderer, artifacts) -> Person:
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await ana.say("sponsor <at>Sam</at>", mentions=[{"id": "29:sam", "name": "Sam"}])
    await answer_all(ana, {**ANSWERS, 5: {"ownership.budget": "not allocated"}})
    await ana.press(ana.find("Review · Churn model"), "Finish")
    await ana.say("status")
    await teams.core.scheduler.nudge_pass(now=WEDNESDAY_TEN)
    return ana


async def test_no_card_shows_literal_markdown_or_a_repeated_count(teams, renderer, artifacts):
    ana = await finished_with_gaps(teams, renderer, artifacts)
    for message in ana.cards():
        assert message.card is not None
        drawn = ana.look(message)
        assert "**" not in drawn.text and "\\" not in drawn.text, (message.card, drawn.text)
        assert not re.search(r"(\d+ of 8 answered).*\1", drawn.text), drawn.text
        assert "<at>" not in drawn.text, drawn.text  # every mention has its entity


async def test_single_line_breaks_stay_on_their_own_lines(teams, renderer, artifacts):
    ana = await finished_with_gaps(teams, renderer, artifacts)
    await teams.core.scheduler.digest_pass(now=WEDNESDAY_TEN)
    joined = []
    for message in ana.cards():
        assert message.card is not None
        drawn = " ".join(ana.look(message).text.split())
        for path, value in text_blocks(message.card):
            for before, after in re.findall(r"([^\n]{12})\n(?!\n)([^\n]{12})", value):
                if f"{before} {after}" in drawn:
                    joined.append(f"{path}: {before!r} + {after!r}")
    assert joined == []


async def test_the_change_an_answer_drop_down_says_what_to_do(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await answer_all(ana)
    review = ana.find("Review · Churn model")
    drawn = ana.look(review)
    edit = drawn.input("pick")
    assert edit["shownInSelect"] or edit["placeholder"], "body[-1] (Input.ChoiceSet 'pick') is drawn as an empty box"


async def test_change_this_answer_untouched_is_refused_by_the_card(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await answer_all(ana)
    pressed = await ana.press(ana.find("Review · Churn model"), "Change an answer")
    # Either the card itself asks for a choice (isRequired on body[-1]), or the press leads somewhere.
    assert pressed.executed == [] and pressed.invalid == ["pick"], (pressed.executed, ana.messages()[-1].text)


async def test_a_sponsor_acting_from_a_personal_chat_updates_the_channel_card(teams, renderer, artifacts):
    ana = await finished_with_gaps(teams, renderer, artifacts)
    _, chat = await escalated(teams)
    sam = Person(teams, renderer, artifacts, user={"id": "29:sam", "name": "Sam"}, conversation=chat, kind="personal")
    await sam.press(sam.cards()[-1], "Fill in now")
    form = sam.cards()[-1]
    await sam.press(form, "Save", {"ownership.owner": "Dana Lee", "ownership.budget": "90000 EUR"})
    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.answers["ownership"].values["budget"] == {"amount": Decimal("90000"), "currency": "EUR"}  # saved
    top = ana.cards()[0]
    assert "Dana Lee" in ana.look(top).text, "the channel card (message of the first send) still shows the gaps"


def settings_card() -> dict[str, Any]:
    return cards.form_card(Form(FormKind.SETTINGS, views.settings_form(Settings())))


async def test_the_settings_form_draws_and_is_valid(renderer, artifacts):
    """Teams never shows it (no one is an admin there yet); drawn from cards.form_card directly."""
    card = settings_card()
    assert schema_errors(card) == []
    drawn = renderer.render(card, screenshot=artifacts / "settings-form.png")
    assert drawn.problems == [] and "Save" in drawn.buttons and len(drawn.inputs) >= 5


async def test_the_settings_forms_save_is_understood(teams, renderer):
    ana = Person(teams, renderer, None, user=ANA)
    pressed = renderer.press(settings_card(), "Save")
    assert pressed.executed, pressed.invalid
    await teams.post(teams.activity(value=pressed.executed[0]["data"]))
    reply = ana.messages()[-1].text or ""
    assert "settings are saved" in reply or "Only workspace admins" in reply, reply


async def test_the_review_card_is_not_left_live_after_finishing(teams, renderer, artifacts):
    ana = Person(teams, renderer, artifacts, user=ANA)
    await ana.say("start Churn model")
    await answer_all(ana)
    review = ana.find("Review · Churn model")
    await ana.press(review, "Finish")
    summaries = len([m for m in ana.cards() if "Churn model: 94%" in ana.look(m).text])
    now = next(m for m in ana.messages() if m.id == review.id)
    if "Finish" in ana.look(now).buttons:  # actions/0 of the review card, still live
        await ana.press(now, "Finish")
    assert len([m for m in ana.cards() if "Churn model: 94%" in ana.look(m).text]) == summaries
    assert "Finish" not in ana.look(now).buttons
