"""`preflight nudge|digest --dry-run` through the real command: what would be sent, to whom and why; the database untouched."""

import asyncio
import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta

from bot.bootstrap import bootstrap
from bot.config import Config
from bot.scheduler import Scheduler
from conversations import events
from conversations.service import Place
from tests.bot.test_scheduler import ANA, FULL, MON, SAM, FakeSender
from tests.conftest import handle


async def prepared(path):
    """A database with one finished check on Slack (owner missing) whose sponsor's first digest is scheduled."""
    app = await bootstrap(Config.from_env({"DATABASE_URL": f"sqlite:///{path}"}))
    try:
        place = Place(platform="slack", workspace="T1", channel="C1", thread="1700000000.000100")
        aid = (await app.preflight.turns.start(place=place, project="Churn model", by=ANA, now=MON, sponsor=SAM)).id
        for question, values in FULL.items():
            await handle(app, assessment_id=aid, event=events.Submit(question=question, values=values, by=ANA), now=MON)
        await handle(app, assessment_id=aid, event=events.Finish(by=ANA), now=MON)
        scheduler = Scheduler(
            deliveries=app.repos.deliveries, workspaces=app.repos.workspaces, inbox=app.repos.inbox, senders={"slack": FakeSender()}
        )
        await scheduler.digest_pass(now=MON + timedelta(hours=1))
        await scheduler.nudge_pass(now=MON + timedelta(hours=1))
    finally:
        await app.close()


def contents(path):
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: db.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}


def digest_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_dry_run_prints_each_message_to_whom_and_why_and_records_nothing(preflight, tmp_path):
    db = tmp_path / "preflight.db"
    asyncio.run(prepared(db))
    before, file_before = contents(db), digest_of(db)
    run = preflight("nudge", "--dry-run", "--now", "2026-11-25T10:00:00+00:00")
    assert run.code == 0, run.err
    out = run.out
    assert out.startswith("nudge dry run at 2026-11-25T10:00:00+00:00: 1 message would be sent; nothing was sent or recorded.")
    assert "No Slack or Teams credentials are set: showing what would go out on every platform." in out
    assert "1. gap reminder to channel C1, thread 1700000000.000100, slack T1" in out
    assert "   why: 1 blocking gap open (owner); reminder 1 of at most 6 with no change, every 2 business days, from 10:00 UTC" in out
    assert "   | Churn model can't go to production yet: 1 blocking gap." in out
    assert "   | No production owner: Sam, can you name the production owner?" in out
    assert "   mentions: Sam (USAM)" in out and "   buttons: Fill in now, Snooze a week" in out
    assert contents(db) == before and digest_of(db) == file_before
    # The same again gives the same answer: nothing was taken or queued.
    assert preflight("nudge", "--dry-run", "--now", "2026-11-25T10:00:00+00:00").out == out


def test_a_digest_dry_run_names_the_sponsor_and_the_week(preflight, tmp_path):
    db = tmp_path / "preflight.db"
    asyncio.run(prepared(db))
    before = contents(db)
    run = preflight("digest", "--dry-run", "--now", "2026-11-30T09:00:00Z")
    assert run.code == 0, run.err
    assert "1. weekly digest to (USAM) by direct message, slack T1" in run.out
    assert "   why: Sam's weekly digest for 2026-W49 (Monday 09:00 UTC): 1 sponsored project" in run.out
    assert "   | Your weekly AI readiness digest: 1 project, 1 with blocking gaps." in run.out
    quiet = preflight("digest", "--dry-run", "--now", "2026-11-27T09:00:00Z")
    assert "0 messages would be sent" in quiet.out and "Nothing is due (looked at 0)." in quiet.out
    assert contents(db) == before


def test_a_real_pass_without_credentials_still_refuses(preflight, tmp_path):
    asyncio.run(prepared(tmp_path / "preflight.db"))
    run = preflight("nudge", "--now", datetime(2026, 11, 25, 10, tzinfo=UTC).isoformat())
    assert run.code == 1 and "Nothing to send to" in run.err
