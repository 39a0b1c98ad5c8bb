"""The composition root: one place that wires the real parts together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from conversations.reminders import Sender
from conversations.service import Assessments
from storage import SqlStore, connect
from storage.reminders import ReminderStore

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class App:
    config: Config
    engine: AsyncEngine
    store: SqlStore
    assessments: Assessments
    clock: Clock
    reminders: ReminderStore
    slack_installations: Any = None  # the OAuth installation store, when Slack runs multi-workspace
    teams_endpoint: Any = None  # bot.teams.app.Teams: the adapter and bot, built once
    http: Any = None  # one aiohttp session for every Web API call, so connections are reused

    def http_session(self) -> Any:
        """The shared HTTP client session (created inside the running event loop on first use)."""
        if self.http is None:
            import aiohttp

            # The session's own time-out: slack_sdk applies its `timeout` only to sessions it creates.
            self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.slack_timeout))
        return self.http

    def teams(self) -> Any:
        """The Teams endpoint (adapter, bot, references), built on first use."""
        if self.teams_endpoint is None:
            from bot.teams.app import build

            self.teams_endpoint = build(self, self.config)
        return self.teams_endpoint

    def senders(self) -> dict[str, Sender]:
        """One Sender per configured platform: where reminders and digests can go."""
        found: dict[str, Sender] = {}
        if self.config.slack_configured:
            from bot.slack.app import installations
            from bot.slack.sender import SlackSender

            found["slack"] = SlackSender(config=self.config, installations=installations(self, self.config), session=self.http_session())
        if self.config.teams_configured:
            found["teams"] = self.teams().sender(self)
        return found

    def scheduler(self) -> "Scheduler":
        from bot.scheduler import Scheduler

        return Scheduler(reminders=self.reminders, store=self.store, senders=self.senders())

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        await self.engine.dispose()


async def bootstrap(config: Config, *, clock: Clock = utc_now, migrate: bool = True) -> App:
    """Open (and migrate) the database and build the service on it."""
    engine = await connect(config.database_url, migrate=migrate)
    store = SqlStore(engine=engine)
    return App(
        config=config,
        engine=engine,
        store=store,
        assessments=Assessments(store=store),
        clock=clock,
        reminders=ReminderStore(engine=engine),
    )
