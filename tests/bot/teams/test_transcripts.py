"""The Teams bot as transcripts, with botbuilder's own TestAdapter."""

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.bootstrap import bootstrap
from bot.config import Config
from bot.teams.bot import TeamsBot
from tests.conftest import NOW


@pytest.fixture
async def adapter(tmp_path):
    core = await bootstrap(Config.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}), clock=lambda: NOW)

    async def elsewhere(**kw):  # a transcript has one conversation: nothing is updated anywhere else
        raise AssertionError(f"updated another conversation: {kw}")

    bot = TeamsBot(preflight=core.preflight, references=core.repos.teams, clock=core.clock, elsewhere=elsewhere)
    template = Activity(
        channel_id="msteams",
        service_url="https://test.invalid",
        conversation=ConversationAccount(id="a:personal-chat", tenant_id="TENANT-A", conversation_type="personal"),
        from_property=ChannelAccount(id="29:ana", name="Ana"),
        recipient=ChannelAccount(id="28:bot", name="Preflight"),
    )
    yield TestAdapter(bot.on_turn, template_or_conversation=template)
    await core.close()


def card_of(activity: Activity) -> dict:
    return activity.attachments[0].content


def says(fragment: str):
    def check(activity, description):
        text = activity.text or str(card_of(activity))
        assert fragment in text, f"{fragment!r} not in {text[:300]!r}"

    return check


async def test_help_and_start(adapter):
    step = await adapter.send("help")
    step = await step.assert_reply(says("Preflight runs the AI execution readiness check"))
    step = await step.send("start Churn model")
    step = await step.assert_reply(says("AI readiness: Churn model"))
    step = await step.assert_reply(says("Readiness check for Churn model"))
    await step.assert_reply(says("Question 1 of 8"))


async def test_typed_answers_in_a_personal_chat(adapter):
    step = await adapter.send("start Churn model")
    for fragment in ("AI readiness: Churn model", "Readiness check for Churn model", "Question 1 of 8"):
        step = await step.assert_reply(says(fragment))
    step = await step.send("2; nightly batch")
    step = await step.assert_reply(says("Answered by <at>Ana</at>"))
    step = await step.assert_reply(says("Question 2 of 8"))
    step = await step.send("7")
    await step.assert_reply(says("pick a number from 1 to 3"))


async def test_a_card_submission_records_the_answer(adapter):
    step = await adapter.send("start Churn model")
    for fragment in ("AI readiness: Churn model", "Readiness check for Churn model", "Question 1 of 8"):
        step = await step.assert_reply(says(fragment))
    submitted = Activity(type=ActivityTypes.message, value={"pf": "answer", "a": 1, "q": "data", "data.choice": "legacy"})
    step = await step.send(submitted)
    step = await step.assert_reply(says("Answered by <at>Ana</at>"))
    await step.assert_reply(says("Question 2 of 8"))
