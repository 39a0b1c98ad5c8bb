"""Reminders and digests end to end: the scheduler's passes posting through the Slack Web API on loopback."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conversations import events
from conversations.people import Person
from conversations.schedule import Settings
from tests.bot.slack.conftest import SECRET, text_of
from tests.bot.slack.test_flow import open_form
from tests.bot.test_scheduler import FULL
from tests.conftest import handle
from tests.loopback import environment

BERLIN = ZoneInfo("Europe/Berlin")
UTC = UTC
ANA = Person(name="ana", id="UANA")
ANSWERS = FULL  # finished, everything in place but the production owner


async def finished_without_owner(slack):
    """In a workspace whose admin chose Berlin time."""
    await slack.core.repos.workspaces.save_settings(
        platform="slack", workspace="T1", settings=Settings(tz="Europe/Berlin"), now=slack.core.clock()
    )
    return await finished_with_no_owner_named(slack)


async def finished_with_no_owner_named(slack):
    await slack.command("start Churn model")
    await slack.api.wait_for("chat.postMessage", 3)
    await slack.command("sponsor <@USAM|sam>")
    await slack.api.wait_for("chat.postMessage", 4)
    for question, values in ANSWERS.items():
        await handle(slack.core, assessment_id=1, event=events.Submit(question=question, values=values, by=ANA), now=slack.core.clock())
    await handle(slack.core, assessment_id=1, event=events.Finish(by=ANA), now=slack.core.clock())
    await slack.core.workers.drain()
    return slack.messages()[0]  # the card, whose thread the reminders go to


def reminders(slack):
    return [m for m in slack.messages() if "can't go to production yet" in text_of(m)]


async def test_a_missing_owner_is_nudged_at_ten_local_on_working_days_until_it_is_filled_in(slack):
    card = await finished_without_owner(slack)
    scheduler = slack.core.scheduler
    wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
    await scheduler.nudge_pass(now=wednesday - timedelta(minutes=1))
    assert reminders(slack) == []
    await scheduler.nudge_pass(now=wednesday)
    (nudge,) = reminders(slack)
    assert nudge["thread_ts"] == card["ts"] and nudge["channel"] == "C1"
    text = text_of(nudge)
    assert "No production owner: sam, can you name the production owner?" in text and "For <@USAM>" in text
    assert "<!channel>" not in text and "<!here>" not in text
    await scheduler.nudge_pass(now=datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN))  # Saturday
    assert len(reminders(slack)) == 1

    view = await open_form(slack, nudge, "Fill in now")
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["ownership.owner"]
    answer = await slack.submit(view, {"ownership.owner": "UDANA"})
    assert answer.status == 200 and answer.text == ""
    await slack.core.workers.drain()
    loaded = await slack.core.repos.assessments.load(assessment_id=1)
    assert loaded.state.owner.id == "UDANA" and loaded.state.answers["ownership"].values["budget"]["amount"] == 100000
    for day in (30, 1, 2):
        month = 11 if day == 30 else 12
        await scheduler.nudge_pass(now=datetime(2026, month, day, 10, 0, tzinfo=BERLIN))
    assert len(reminders(slack)) == 1


async def test_snooze_from_the_reminder_and_from_the_command(slack):
    await finished_without_owner(slack)
    scheduler = slack.core.scheduler
    await scheduler.nudge_pass(now=datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    (nudge,) = reminders(slack)
    await slack.click(nudge, "Snooze a week")
    await slack.core.workers.drain()
    assert "paused until" in text_of(slack.messages()[-1])
    await scheduler.nudge_pass(now=datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN))
    assert len(reminders(slack)) == 1
    answer = await slack.command("snooze many")
    assert "For how many days?" in answer.text
    await slack.command("snooze 30")
    await slack.core.workers.drain()
    await scheduler.nudge_pass(now=datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN))
    assert len(reminders(slack)) == 1


async def test_the_sponsor_gets_the_monday_digest_at_nine_in_their_zone(slack):
    slack.api.users["USAM"] = {"tz": "America/New_York"}
    await finished_without_owner(slack)
    named = len(slack.api.of("users.info"))  # the sponsor's name, when they were named
    scheduler = slack.core.scheduler
    await scheduler.digest_pass(now=slack.core.clock())  # the new sponsor's first slot is set
    monday_nine_new_york = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # the same Monday: 09:00 in New York is still ahead
    await scheduler.digest_pass(now=monday_nine_new_york - timedelta(minutes=1))
    assert not [p for p in slack.api.of("chat.postMessage") if p["channel"] == "USAM"]
    await scheduler.digest_pass(now=monday_nine_new_york)
    await scheduler.digest_pass(now=monday_nine_new_york + timedelta(minutes=1))
    (digest,) = [p for p in slack.api.of("chat.postMessage") if p["channel"] == "USAM"]
    text = text_of(digest)
    assert "Your weekly AI readiness digest: 1 project, 1 with blocking gaps." in text
    assert "Churn model: 94% · Ready for production (new this week)" in text
    assert "Next: name the production owner." in text
    assert [p["user"] for p in slack.api.of("users.info")[named:]] == ["USAM"]  # the zone: asked once


async def test_the_digest_preview_command(slack):
    await finished_without_owner(slack)
    await slack.command("digest", user={"id": "USAM", "name": "sam"})
    said = (await slack.api.wait_for("response_url"))[-1]["text"]
    assert said.startswith("*Your weekly AI readiness digest: 1 project")
    await slack.command("digest", user={"id": "UNOBODY", "name": "x"})
    assert "You sponsor no readiness checks yet" in (await slack.api.wait_for("response_url", 2))[-1]["text"]


async def test_a_channel_the_bot_left_is_marked_and_not_retried(slack):
    await finished_without_owner(slack)
    scheduler = slack.core.scheduler
    slack.api.fail("chat.postMessage", "not_in_channel")
    report = await scheduler.nudge_pass(now=datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    assert report.failed == 1
    await scheduler.deliver(now=datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN))
    (row,) = await slack.core.repos.deliveries.outbox()
    assert (row.status, row.error) == ("failed", "not_in_channel")


async def test_settings_are_for_admins_and_are_checked(slack):
    answer = await slack.command("settings")
    assert answer.status == 200
    said = (await slack.api.wait_for("response_url"))[-1]["text"]
    assert said == "Only workspace admins can change Preflight's settings."
    slack.api.users["UANA"] = {"is_admin": True}
    await slack.command("settings")
    view = (await slack.api.wait_for("views.open"))[-1]["view"]
    values = {
        "tz": "Mars/Olympus",
        "nudge_every": "1",
        "nudge_at": "08:00",
        "work_start": "09:00",
        "work_end": "17:00",
        "stall_hours": "24",
        "escalate_after": "3",
        "digest_weekday": "0",
        "digest_at": "09:00",
        "stop_after": "4",
    }
    answer = await slack.submit(view, values)
    assert answer.json()["errors"] == {
        "tz": "'Mars/Olympus' is not a time zone I know; use a name like Europe/Berlin.",
        "nudge_at": "Reminders must fall inside the working day.",
    }
    answer = await slack.submit(view, {**values, "tz": "Asia/Tokyo", "nudge_at": "11:30"})
    assert answer.status == 200 and answer.text == ""
    await slack.core.workers.drain()
    saved = await slack.core.repos.workspaces.settings(platform="slack", workspace="T1")
    assert (saved.tz, saved.nudge_every, saved.nudge_at.isoformat(), saved.work_end.isoformat()) == (
        "Asia/Tokyo",
        1,
        "11:30:00",
        "17:00:00",
    )
    assert (saved.stop_after, saved.tz_source, saved.tz_by) == (4, "settings", "ana")
    await slack.command("settings")
    view = (await slack.api.wait_for("views.open", 2))[-1]["view"]
    assert "Channel reminders follow Asia/Tokyo, chosen here by ana." in view["blocks"][0]["text"]["text"]
    (cap,) = [b for b in view["blocks"] if b.get("block_id") == "stop_after"]
    assert cap["element"]["initial_option"]["value"] == "4"


async def test_the_nudge_command_runs_one_pass_as_a_process(slack, tmp_path):
    import asyncio

    await finished_without_owner(slack)
    env = environment(
        DATABASE_URL=str(slack.core.config.database_url).replace("+aiosqlite", ""),
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_API_URL=slack.api.url,
    )
    command = [str(Path(sys.executable).parent / "preflight"), "nudge", "--now", "2026-11-25T10:00:00+01:00"]
    printed = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        printed.append(out.decode().strip())
    assert printed[0] == "nudge pass at 2026-11-25T10:00:00+01:00: looked at 1, queued 1, sent 1, retrying 0, failed 0"
    assert printed[1].endswith("queued 0, sent 0, retrying 0, failed 0")
    assert len(reminders(slack)) == 1


async def many_missing_an_owner(slack, count: int) -> None:
    """`count` finished checks, each in its own channel, each missing its production owner."""
    from conversations.service import Place

    for n in range(count):
        place = Place(platform="slack", workspace="T1", channel=f"C{n:03d}", thread=f"17000000{n:02d}.000100")
        started = await slack.core.preflight.turns.start(place=place, project=f"Project {n}", by=ANA, now=slack.core.clock())
        for question, values in ANSWERS.items():
            event = events.Submit(question=question, values=values, by=ANA)
            await handle(slack.core, assessment_id=started.id, event=event, now=slack.core.clock())
        await handle(slack.core, assessment_id=started.id, event=events.Finish(by=ANA), now=slack.core.clock())


def reminded_channels(slack) -> list[str]:
    return [p["channel"] for p in slack.api.of("chat.postMessage") if "can't go to production yet" in text_of(p)]


async def test_a_pass_killed_mid_way_sends_nothing_twice_and_loses_nothing(slack):
    import asyncio
    import signal

    await many_missing_an_owner(slack, 30)
    env = environment(
        DATABASE_URL=str(slack.core.config.database_url).replace("+aiosqlite", ""),
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_API_URL=slack.api.url,
    )
    command = [str(Path(sys.executable).parent / "preflight"), "nudge", "--now", "2026-11-25T10:00:00+00:00"]
    slack.api.delays["chat.postMessage"] = 0.05  # Slack is slow: the pass is still sending when it is killed
    first = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    while len(reminded_channels(slack)) < 10:
        await slack.api.wait_for("chat.postMessage", len(slack.api.of("chat.postMessage")) + 1)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    killed_after = len(reminded_channels(slack))
    assert 10 <= killed_after < 30
    slack.api.delays.clear()
    command[-1] = "2026-11-25T10:06:00+00:00"  # the next run, once the dead pass's lease has run out
    second = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    channels = reminded_channels(slack)
    assert set(channels) == {f"C{n:03d}" for n in range(30)}  # none lost
    assert len(channels) <= 31  # at most the one send in flight at the kill is repeated


async def test_a_slow_pass_keeps_its_claim_while_another_pass_runs(slack, monkeypatch):
    """Slack takes its time; another pass (a cron run, another replica) starts after the first's lease
    would have run out: each channel still gets exactly one reminder."""
    import asyncio

    import bot.scheduler
    import storage.reminders
    from bot.scheduler import Scheduler

    lease = timedelta(seconds=1)
    monkeypatch.setattr(storage.reminders, "LEASE", lease)
    monkeypatch.setattr(bot.scheduler, "DELIVERY_LEASE", lease)
    monkeypatch.setattr(bot.scheduler, "KEEP_EVERY", 0.2)
    await many_missing_an_owner(slack, 4)
    slack.api.delays["chat.postMessage"] = 1.0  # a second a post, as under rate limiting: four take four seconds
    repos = slack.core.repos
    passes = [
        Scheduler(deliveries=repos.deliveries, workspaces=repos.workspaces, inbox=repos.inbox, senders=slack.core.scheduler.senders)
        for _ in range(2)
    ]
    began = datetime(2026, 11, 25, 10, tzinfo=UTC)
    first = asyncio.create_task(passes[0].nudge_pass(now=began))
    await asyncio.sleep(1.5)  # past the first pass's original lease, while it is still sending
    await passes[1].nudge_pass(now=began + timedelta(seconds=1.5))
    await first
    channels = reminded_channels(slack)
    assert sorted(channels) == [f"C{n:03d}" for n in range(4)]  # each exactly once


async def test_weeks_of_passes_in_new_york_back_off_and_hand_over_to_the_digest(slack):
    """No zone chosen: the first person's Slack zone (New York) is the workspace's, so reminders come at 10:00 there,
    weekly after three with no change, and the sixth is the last the channel hears until something changes."""
    slack.api.users["UANA"] = {"tz": "America/New_York"}
    await finished_with_no_owner_named(slack)
    scheduler, sent_at = slack.core.scheduler, []
    now, end = datetime(2026, 11, 23, 11, tzinfo=UTC), datetime(2027, 1, 29, tzinfo=UTC)
    while now <= end:  # a cron run every hour of the (UTC) afternoon on working days, for nine weeks
        if now.weekday() < 5 and 11 <= now.hour <= 23:
            before = len(reminders(slack))
            await scheduler.nudge_pass(now=now)
            sent_at += [now] * (len(reminders(slack)) - before)
        now += timedelta(hours=1)
    assert [f"{t:%a %d %b %H:%M}" for t in sent_at] == [
        "Wed 25 Nov 15:00",  # 10:00 in New York
        "Fri 27 Nov 15:00",
        "Tue 01 Dec 15:00",
        "Tue 08 Dec 15:00",
        "Tue 15 Dec 15:00",
        "Tue 22 Dec 15:00",
    ]
    texts = [text_of(m) for m in reminders(slack)]
    assert all("For <@USAM>" in t and "No production owner: sam, can you name the production owner?" in t for t in texts)
    assert "Nothing has changed" not in texts[0]
    assert "Nothing has changed since the last reminder on Wednesday." in texts[1]
    assert "3 reminders with no change: from now on, one a week." in texts[2]
    assert "This is the last reminder here: 6 with no change. sam keeps seeing it in their weekly digest." in texts[5]
    escalations = [p for p in slack.api.of("chat.postMessage") if p["channel"] == "USAM" and "nothing has changed" in text_of(p)]
    assert len(escalations) == 1
    settings = await slack.core.repos.workspaces.settings(platform="slack", workspace="T1")
    assert (settings.tz, settings.tz_source, settings.tz_by) == ("America/New_York", "platform", "ana")
    assert [p["user"] for p in slack.api.of("users.info")].count("UANA") == 1  # asked once, not every pass
