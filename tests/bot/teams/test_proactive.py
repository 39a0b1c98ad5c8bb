"""Reminders and digests reach Teams proactively, from references stored before a restart."""

from datetime import UTC, datetime, timedelta

from bot.bootstrap import bootstrap
from conversations import events
from conversations.people import Person
from tests.bot.teams.conftest import CHANNEL, run_teams, teams_config
from tests.bot.teams.fake_connector import card_text
from tests.bot.test_scheduler import FULL
from tests.conftest import NOW, handle

UTC = UTC
WEDNESDAY_TEN = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def prepare(tmp_path, connector):
    """Start and finish a check in a Teams channel (owner missing, Sam sponsoring), then stop the server."""
    async for teams in run_teams(teams_config(tmp_path), connector):
        await teams.say("start Churn model")
        await teams.say("sponsor <at>Sam</at>", mentions=[{"id": "29:sam", "name": "Sam"}])
        ana = Person(name="Ana", id="29:ana")
        for question, values in FULL.items():
            await handle(teams.core, assessment_id=1, event=events.Submit(question=question, values=values, by=ana), now=NOW)
        await handle(teams.core, assessment_id=1, event=events.Finish(by=ana), now=NOW)


async def restarted(tmp_path):
    return await bootstrap(teams_config(tmp_path), clock=lambda: NOW)


async def test_a_nudge_and_a_digest_after_a_restart(tmp_path, connector):
    await prepare(tmp_path, connector)
    before = len(connector.calls)
    core = await restarted(tmp_path)
    try:
        scheduler = core.scheduler
        report = await scheduler.nudge_pass(now=WEDNESDAY_TEN)
        assert report.sent == 1, report
        nudge = connector.cards(CHANNEL)[-1]
        assert "Churn model can't go to production yet: 1 blocking gap." in card_text(nudge)
        assert "For <at>Sam</at>" in card_text(nudge)
        assert nudge["msteams"]["entities"] == [{"type": "mention", "text": "<at>Sam</at>", "mentioned": {"id": "29:sam", "name": "Sam"}}]
        assert [a["title"] for a in nudge["actions"]] == ["Fill in now", "Snooze a week"]

        await scheduler.digest_pass(now=NOW)  # Sam is a new sponsor: the first slot is set
        await scheduler.digest_pass(now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
        created = [(cid, a) for verb, cid, a in connector.calls[before:] if verb == "create"]
        assert len(created) == 1 and created[0][1]["members"] == [{"id": "29:sam"}]
        digest = connector.cards(created[0][0])[-1]
        assert "Your weekly AI readiness digest: 1 project, 1 with blocking gaps." in card_text(digest)
        await scheduler.digest_pass(now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
        assert len([c for v, c, _ in connector.calls if v == "create"]) == 1  # the personal chat is reused
        assert len(connector.cards(created[0][0])) == 2
    finally:
        await core.close()


async def test_a_conversation_that_answers_403_is_marked_and_left_alone(tmp_path, connector):
    await prepare(tmp_path, connector)
    connector.fail_with[CHANNEL] = 403
    core = await restarted(tmp_path)
    try:
        scheduler = core.scheduler
        report = await scheduler.nudge_pass(now=WEDNESDAY_TEN)
        assert report.failed == 1 and "Teams answered 403" in report.errors[0]
        (row,) = await core.repos.deliveries.outbox()
        assert row.status == "failed"
        assert await core.teams.references.find(tenant="TENANT-A", conversation_id=CHANNEL) is None
        await scheduler.nudge_pass(now=WEDNESDAY_TEN + timedelta(days=2))
        rows = await core.repos.deliveries.outbox()
        assert rows[-1].error == "no active Teams conversation to post in"
    finally:
        await core.close()


async def test_a_sponsor_closing_a_gap_from_a_personal_chat_redraws_the_card_in_the_channel(teams):
    """The card lives in the channel: what the sponsor does in their own chat updates it there, not in the chat."""
    await teams.say("start Churn model")
    ana = Person(name="Ana", id="29:ana")
    for question, values in FULL.items():
        await handle(teams.core, assessment_id=1, event=events.Submit(question=question, values=values, by=ana), now=NOW)
    card_id = teams.connector.cards(CHANNEL)[0]["_id"]
    sam = {"id": "29:sam", "name": "Sam"}
    chat = "a:personal-sam"
    await teams.post(teams.activity(value={"pf": "act", "a": 1, "v": "fill"}, user=sam, conversation=chat, kind="personal"))
    form = teams.connector.cards(chat)[-1]
    assert [i["id"] for i in form["body"] if i.get("type", "").startswith("Input.")] == ["ownership.owner"]
    await teams.post(teams.activity(value={"pf": "gaps", "a": 1, "ownership.owner": "Dana"}, user=sam, conversation=chat, kind="personal"))

    loaded = await teams.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.owner is not None and loaded.state.owner.name == "Dana"
    in_channel = [(cid, a) for verb, cid, a in teams.connector.calls if verb == "update" and a["_id"] == card_id]
    assert in_channel and {cid for cid, _ in in_channel} == {CHANNEL}
    assert "Blocking gaps:** none" in card_text(in_channel[-1][1]["attachments"][0]["content"])
    assert not [a for verb, cid, a in teams.connector.calls if verb == "update" and cid == chat]
