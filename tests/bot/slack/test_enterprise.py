"""Enterprise Grid and rotating tokens: an org-wide install over the real OAuth flow, then the
scheduler's reminders and digests delivered in a workspace of that organisation, a token
refreshed before it expires, and auth.test asked once per token."""

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlmodel import select as sql_select

from conversations import events
from conversations.people import Person
from conversations.schedule import Settings
from storage.slack_install_tables import BOTS, INSTALLATIONS, TEAMS
from storage.tables import Assessment, Workspace
from tests.bot.slack import replay
from tests.bot.slack.conftest import text_of
from tests.bot.slack.test_install import install
from tests.bot.test_scheduler import FULL
from tests.conftest import handle, session_of

BERLIN = ZoneInfo("Europe/Berlin")
ANA = Person(name="ana", id="UANA")
ORG_TOKEN = "xoxe.xoxb-1-org-wide-secret-token"


async def installed_org_wide(slack) -> None:
    slack.api.install_answer = replay.load("oauth_v2_access_enterprise.json")
    slack.api.auth_answer = {"enterprise_id": "E1", "is_enterprise_install": True}
    await install(slack)


async def checked_in_sales(slack) -> dict:
    """A finished check in workspace T2 of organisation E1, its production owner missing, sponsored by sam."""
    await slack.core.repos.workspaces.save_settings(
        platform="slack", workspace="T2", settings=Settings(tz="Europe/Berlin"), now=slack.core.clock()
    )
    assert (await replay.command(slack, "command_enterprise.json")).status == 200
    await slack.api.wait_for("chat.postMessage", 3)
    await replay.command(slack, "command_enterprise.json", text="sponsor <@USAM|sam>")
    await slack.core.workers.drain()
    for question, values in FULL.items():
        await handle(slack.core, assessment_id=1, event=events.Submit(question=question, values=values, by=ANA), now=slack.core.clock())
    await handle(slack.core, assessment_id=1, event=events.Finish(by=ANA), now=slack.core.clock())
    await slack.core.workers.drain()
    return slack.messages()[0]


async def test_an_org_wide_install_gets_its_reminders_and_digests_in_each_workspace(oauth_slack):
    slack = oauth_slack
    await installed_org_wide(slack)
    async with slack.core.engine.connect() as conn:
        stored = (await conn.execute(select(BOTS.c.enterprise_id, BOTS.c.team_id, BOTS.c.is_enterprise_install))).all()
    assert stored == [("E1", None, True)]

    card = await checked_in_sales(slack)
    assert card["channel"] == "C2" and card["_token"] == ORG_TOKEN
    async with slack.core.engine.connect() as conn:
        assert (await conn.execute(select(TEAMS.c.team_id, TEAMS.c.enterprise_id))).all() == [("T2", "E1")]
    async with session_of(slack.core) as session:
        place = sql_select(Workspace.external_id).join(Assessment, Assessment.workspace_id == Workspace.id)  # type: ignore[arg-type]
        assert (await session.exec(place)).all() == ["T2"]

    slack.core.slack_clients.installations.enterprises.clear()  # as after a restart: the organisation is read back from the database
    report = await slack.core.scheduler.nudge_pass(now=datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    assert report.failed == 0
    (nudge,) = [p for p in slack.api.of("chat.postMessage") if "can't go to production yet" in text_of(p)]
    assert (nudge["channel"], nudge["thread_ts"], nudge["_token"]) == ("C2", card["ts"], ORG_TOKEN)

    slack.api.users["USAM"] = {"tz": "Europe/Berlin"}
    await slack.core.scheduler.digest_pass(now=slack.core.clock())
    await slack.core.scheduler.digest_pass(now=datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN))
    (digest,) = [p for p in slack.api.of("chat.postMessage") if p["channel"] == "USAM"]
    assert "Your weekly AI readiness digest" in text_of(digest) and digest["_token"] == ORG_TOKEN
    assert [row.status for row in await slack.core.repos.deliveries.outbox()] == ["sent", "sent"]


async def test_buttons_and_app_home_in_a_workspace_of_the_organisation(oauth_slack):
    slack = oauth_slack
    await installed_org_wide(slack)
    await replay.command(slack, "command_enterprise.json")
    await slack.api.wait_for("chat.postMessage", 3)
    q1 = slack.last("Question 1 of 8")
    assert (await replay.click(slack, q1, "Legacy systems", name="block_actions_enterprise.json")).status == 200
    updates = await slack.api.wait_for("chat.update", 2)
    assert {u["_token"] for u in updates} == {ORG_TOKEN} and "Answered by <@UANA>" in text_of(slack.last("Legacy systems"))
    await replay.event(slack, "event_app_home_opened_enterprise.json")
    (published,) = await slack.api.wait_for("views.publish")
    assert published["_token"] == ORG_TOKEN and "Churn model" in str(published["view"])


async def test_a_rotating_token_is_refreshed_before_it_expires_and_the_send_uses_the_new_one(oauth_slack):
    slack = oauth_slack
    await installed_org_wide(slack)
    await checked_in_sales(slack)
    assert slack.api.refreshed == 0  # twelve hours left: nothing to refresh yet

    # Eleven hours and some later: the token has a minute left, and Slack no longer takes it once refreshed.
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    async with slack.core.engine.begin() as conn:
        for table in (INSTALLATIONS, BOTS):
            await conn.execute(update(table).values(bot_token_expires_at=soon))
    slack.api.expired.add(ORG_TOKEN)

    report = await slack.core.scheduler.nudge_pass(now=datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    assert report.failed == 0
    (refresh,) = [p for p in slack.api.of("oauth.v2.access") if p.get("grant_type") == "refresh_token"]
    assert refresh["refresh_token"] == "xoxe-1-org-wide-refresh"
    (nudge,) = [p for p in slack.api.of("chat.postMessage") if "can't go to production yet" in text_of(p)]
    assert nudge["_token"] == "xoxe.xoxb-rotated-1"
    async with slack.core.engine.connect() as conn:
        stored = (await conn.execute(select(BOTS.c.bot_token, BOTS.c.bot_refresh_token))).all()
    assert stored and all(token.startswith("enc:") and refresh_token.startswith("enc:") for token, refresh_token in stored)

    await replay.command(slack, "command_enterprise.json", text="status")  # requests use the refreshed token too
    await slack.core.workers.drain()
    assert slack.api.refreshed == 1


async def test_auth_test_is_asked_once_per_token_not_once_per_request(oauth_slack):
    slack = oauth_slack
    await install(slack)
    installing = slack.api.count("auth.test")
    await slack.command("start Project 0", team="T9")
    await slack.api.wait_for("chat.postMessage", 3)
    answers = await asyncio.gather(*(slack.command(f"start Project {n}", team="T9", channel=f"C{n}") for n in range(1, 10)))
    assert [a.status for a in answers] == [200] * 9
    await slack.api.wait_for("chat.postMessage", 30)
    await slack.core.workers.drain()
    assert slack.api.count("auth.test") - installing == 1


async def test_uninstalling_an_org_wide_install_deletes_its_tokens_and_the_workspaces_data(oauth_slack):
    slack = oauth_slack
    await installed_org_wide(slack)
    await replay.command(slack, "command_enterprise.json")
    await slack.api.wait_for("chat.postMessage", 3)
    await slack.core.workers.drain()
    assert (await replay.event(slack, "event_app_uninstalled_enterprise.json")).status == 200
    await slack.core.workers.drain()
    async with slack.core.engine.connect() as conn:
        for table in (BOTS, INSTALLATIONS, Assessment.__table__):  # type: ignore[attr-defined]
            assert (await conn.execute(select(func.count()).select_from(table))).scalar_one() == 0, table
