"""A nudge pass and a digest pass over 1k, 10k and 100k assessments, 1% of them due.

Reports the time of each pass and the number of SQL statements it made. Both should grow
with the number due, not with the total: due work is found through indexes, and a pass
makes a handful of statements however many rows it handles.

    python bench/reminder_passes.py [--sizes 1000,10000,100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.scheduler import Scheduler
from conversations.reminders import Sent
from storage import open_database, sql_repositories
from storage.engine import database_url
from storage.tables import Assessment, Person, Workspace

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 UTC
PER_SPONSOR = 10


class QuietSender:
    """The network edge, answering at once: the pass's own cost is what is measured."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, *, notice, target):
        self.sent += 1
        return Sent(ok=True)

    async def time_zone(self, *, workspace, person):
        return "UTC"


async def fill(engine, size: int) -> None:
    """`size` finished assessments with an open owner gap; 1% due for a nudge, 1% of sponsors due a digest."""
    long_ago = NOW - timedelta(days=30)
    async with engine.begin() as conn:
        # A zone an admin chose: the pass measured is the nudges', not a workspace's first look at its zone (which
        # looks at every check there again, once).
        workspace = {"tz": "UTC", "tz_source": "settings", "tz_by": "bench"}
        await conn.execute(insert(Workspace).values(id=1, platform="slack", external_id="TBENCH", created_at=long_ago, **workspace))
        sponsors = size // PER_SPONSOR
        await conn.execute(
            insert(Person),
            [
                {
                    "id": i + 1,
                    "workspace_id": 1,
                    "external_id": f"U{i}",
                    "name": f"Sponsor {i}",
                    "tz": "UTC",
                    "tz_checked_at": NOW - timedelta(days=1),
                    "updated_at": long_ago,
                    "next_digest_at": NOW - timedelta(minutes=1) if i % 100 == 0 else NOW + timedelta(days=5),
                }
                for i in range(sponsors)
            ],
        )
        rows = [
            {
                "id": i + 1,
                "workspace_id": 1,
                "platform": "slack",
                "channel": f"C{i}",
                "thread": f"{i}.0",
                "project": f"Project {i}",
                "started_by_id": 1 + i // PER_SPONSOR,
                "sponsor_id": 1 + i // PER_SPONSOR,
                "stage": "finished",
                "cursor": 7,
                "skipped": [],
                "version": 2,
                "answered": 8,
                "total": 7.5,
                "level": "Ready for production",
                "gaps": "owner",
                "has_gaps": True,
                "created_at": long_ago,
                "updated_at": long_ago,
                "finished_at": long_ago,
                "gaps_since": {"owner": long_ago.isoformat()},
                "reminders_since_change": 0,
                "escalated": False,
                "next_reminder_at": NOW - timedelta(minutes=1) if i % 100 == 0 else NOW + timedelta(days=2),
            }
            for i in range(size)
        ]
        for start in range(0, size, 10_000):
            await conn.execute(insert(Assessment), rows[start : start + 10_000])


async def measure(url: str, size: int) -> str:
    database = await open_database(url)
    engine = database.engine
    try:
        await fill(engine, size)
        sender = QuietSender()
        repos = sql_repositories(database=database)
        scheduler = Scheduler(deliveries=repos.deliveries, workspaces=repos.workspaces, inbox=repos.inbox, senders={"slack": sender})
        statements: list[str] = []
        event.listen(database.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        out = []
        for name, run in (("nudge", scheduler.nudge_pass), ("digest", scheduler.digest_pass)):
            statements.clear()
            sender.sent = 0
            started = time.perf_counter()
            await run(now=NOW)
            took = time.perf_counter() - started
            out.append(f"{name:>6} pass: {took * 1000:8.1f} ms  {len(statements):3d} SQL statements  {sender.sent:5d} sent")
        return f"{size:>7,} assessments ({size // 100:,} due):  " + "   |   ".join(out)
    finally:
        await database.dispose()


async def main(sizes: list[int], url: str | None) -> None:
    print("Reminder passes, 1% due (time grows with the number due; statements stay a handful)")
    for size in sizes:
        if url:
            from tests.conftest import reset_postgres

            await reset_postgres(database_url({"DATABASE_URL": url}))
            print(await measure(database_url({"DATABASE_URL": url}), size))
            continue
        with tempfile.TemporaryDirectory() as folder:
            print(await measure(database_url({"DATABASE_URL": f"sqlite:///{folder}/bench.db"}), size))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL to run on (its public schema is emptied)")
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.database_url))
