"""The composition root: one place that wires the real parts together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from conversations.service import Assessments
from storage import SqlStore, connect

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
    slack_installations: Any = None  # the OAuth installation store, when Slack runs multi-workspace

    async def close(self) -> None:
        await self.engine.dispose()


async def bootstrap(config: Config, *, clock: Clock = utc_now, migrate: bool = True) -> App:
    """Open (and migrate) the database and build the service on it."""
    engine = await connect(config.database_url, migrate=migrate)
    store = SqlStore(engine=engine)
    return App(config=config, engine=engine, store=store, assessments=Assessments(store=store), clock=clock)
