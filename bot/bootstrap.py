"""The composition root: the one place that builds the real parts and hands each adapter what it needs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.scheduler import Scheduler
from bot.workers import Workers
from conversations.reminders import Sender
from conversations.usecases import Preflight
from storage import Database, Repositories, open_database, sql_repositories

if TYPE_CHECKING:
    from bot.slack.app import AsyncApp, Clients
    from bot.teams.app import Teams

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    database: Database
    repos: Repositories
    preflight: Preflight
    workers: Workers
    scheduler: Scheduler
    http: aiohttp.ClientSession
    clock: Clock
    slack: AsyncApp | None = None
    slack_clients: Clients | None = None
    teams: Teams | None = None
    _loop: asyncio.Task | None = field(default=None, repr=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def engine(self) -> AsyncEngine:
        """The async engine, for the Slack SDK's stores and the health check."""
        return self.database.engine

    async def start(self, *, scheduler: bool = True) -> None:
        """The inbox's workers and, unless told not to, the reminder loop."""
        await self.workers.start()
        if scheduler:
            self._loop = asyncio.create_task(self.scheduler.run_forever(clock=self.clock, stop=self._stop))

    async def close(self) -> None:
        self._stop.set()
        if self._loop is not None:
            await self._loop
        if self.workers.running:
            await self.workers.stop()
        await self.http.close()
        await self.database.dispose()


async def bootstrap(
    config: Config, *, clock: Clock = utc_now, wall_clock: Clock = utc_now, migrate: bool = True, slots: int = 4, poll: float = 1.0
) -> App:
    """Open (and migrate) the database and build everything that is configured on it.

    `clock` is the product's time (schedules, answers); `wall_clock` times the inbox's leases.
    """
    database = await open_database(config.database_url, migrate=migrate)
    engine = database.engine
    repos = sql_repositories(database=database)
    preflight = Preflight(assessments=repos.assessments, workspaces=repos.workspaces, clock=clock)
    # The session's own time-out: slack_sdk applies its `timeout` only to sessions it creates.
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=config.slack_timeout))
    workers = Workers(
        inbox=repos.inbox, handlers={}, clock=wall_clock, slots=slots, poll=poll, lease=timedelta(seconds=config.lease_seconds)
    )
    senders: dict[str, Sender] = {}
    app = App(
        config=config,
        database=database,
        repos=repos,
        preflight=preflight,
        workers=workers,
        http=http,
        clock=clock,
        scheduler=Scheduler(deliveries=repos.deliveries, workspaces=repos.workspaces, inbox=repos.inbox, senders={}),
    )
    if config.slack_configured:
        from bot.slack.app import Clients, build, installations
        from bot.slack.receive import Receive
        from bot.slack.sender import SlackSender
        from bot.slack.work import SlackWork

        installs = installations(config, engine=engine)
        app.slack_clients = Clients(config=config, installations=installs, session=http)
        receive = Receive(preflight=preflight, workers=workers)
        app.slack = build(config, receive=receive, clients=app.slack_clients, engine=engine)
        workers.handlers["slack"] = SlackWork(
            preflight=preflight, clients=app.slack_clients, forget_installation=app.slack_clients.forget, session=http
        )
        senders["slack"] = SlackSender(clients=app.slack_clients)
    if config.teams_configured:
        from bot.teams.app import build as build_teams

        app.teams = build_teams(config, preflight=preflight, references=repos.teams, workers=workers, clock=clock)
        workers.handlers["teams"] = app.teams.work
        senders["teams"] = app.teams.sender
    app.scheduler.senders.update(senders)
    return app
