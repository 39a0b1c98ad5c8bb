"""One channel, several checks: commands about one check take its name, or ask which with a button per check."""

from tests.bot.slack.conftest import text_of
from tests.bot.slack.test_flow import started


async def two_checks(slack):
    await started(slack, "Churn model")
    await slack.command("start Fraud model")
    await slack.api.wait_for("chat.postMessage", 6)
    await slack.core.workers.drain()


def ephemeral(slack) -> dict:
    (found,) = slack.api.of("response_url")[-1:]
    return {**found, "ts": "ephemeral", "channel": "C1"}


async def test_a_command_without_a_name_asks_which_check_with_a_button_each(slack):
    await two_checks(slack)
    await slack.command("status")
    await slack.core.workers.drain()
    asked = ephemeral(slack)
    assert "This conversation has 2 checks: which one?" in asked["text"]
    assert "/readiness status &lt;project&gt;" in asked["text"]
    await slack.click(asked, "Churn model")
    await slack.core.workers.drain()
    assert "Churn model · question 1 of 8" in ephemeral(slack)["text"]
    await slack.click(asked, "Fraud model")
    await slack.core.workers.drain()
    assert "Fraud model · question 1 of 8" in ephemeral(slack)["text"]


async def test_a_named_check_is_the_one_acted_on(slack):
    await two_checks(slack)
    slack.api.users["UDANA"] = {"profile": {"display_name": "Dana"}}
    await slack.command("owner <@UDANA|dana> Churn model")
    await slack.core.workers.drain()
    churn = await slack.core.repos.assessments.load(assessment_id=1)
    fraud = await slack.core.repos.assessments.load(assessment_id=2)
    assert churn.state.owner is not None and churn.state.owner.name == "Dana" and fraud.state.owner is None
    assert "*Production owner*\n<@UDANA>" in text_of(slack.messages()[0])

    await slack.command("snooze 7 fraud model")  # names are matched whatever their case
    await slack.core.workers.drain()
    fraud = await slack.core.repos.assessments.load(assessment_id=2)
    churn = await slack.core.repos.assessments.load(assessment_id=1)
    assert fraud.state.snoozed_until is not None and churn.state.snoozed_until is None

    await slack.command("status Forecasting")
    await slack.core.workers.drain()
    assert "There is no check named 'Forecasting' here." in ephemeral(slack)["text"]


async def test_the_sponsor_named_from_the_question_s_buttons(slack):
    await two_checks(slack)
    await slack.command("sponsor <@USAM|sam>")
    await slack.core.workers.drain()
    await slack.click(ephemeral(slack), "Fraud model")
    await slack.core.workers.drain()
    fraud = await slack.core.repos.assessments.load(assessment_id=2)
    churn = await slack.core.repos.assessments.load(assessment_id=1)
    assert fraud.state.sponsor is not None and fraud.state.sponsor.id == "USAM" and churn.state.sponsor is None
    assert "sam is now the sponsor of Fraud model." in text_of(slack.last("is now the sponsor"))


async def test_rename_asks_which_check_then_archive_puts_one_away(slack):
    await two_checks(slack)
    await slack.command("rename Churn model v2")
    await slack.core.workers.drain()
    await slack.click(ephemeral(slack), "Churn model")
    await slack.core.workers.drain()
    churn = await slack.core.repos.assessments.load(assessment_id=1)
    assert churn.state.project == "Churn model v2"
    assert "AI readiness: Churn model v2" in text_of(slack.messages()[0])  # the card says the new name
    assert "Churn model is now called Churn model v2." in text_of(slack.last("is now called"))

    await slack.command("rename Fraud model")  # two checks may not share a name in one channel
    await slack.core.workers.drain()
    await slack.click(ephemeral(slack), "Churn model v2")
    await slack.core.workers.drain()
    assert "There is a check called Fraud model here already" in ephemeral(slack)["text"]

    await slack.command("archive Fraud model")
    await slack.core.workers.drain()
    assert "Fraud model is archived" in text_of(slack.last("is archived"))
    await slack.command("list")
    await slack.core.workers.drain()
    listed = ephemeral(slack)["text"]
    assert "Churn model v2" in listed and "Fraud model" not in listed
    await slack.command("status")  # one check left here: no question which
    await slack.core.workers.drain()
    assert "Churn model v2 · question 1 of 8" in ephemeral(slack)["text"]
