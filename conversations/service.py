"""Running events against stored assessments, one turn at a time."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from conversations import prompts
from conversations.events import Event, Start
from conversations.machine import Stage, State, step
from conversations.messages import Reply
from conversations.people import Person
from conversations.questions import TOTAL

MAX_ATTEMPTS = 40


@dataclass(frozen=True)
class Place:
    """Where an assessment lives."""

    platform: str  # "slack", "teams" or "console"
    workspace: str  # Slack team id, Teams tenant id, "local"
    channel: str
    thread: str | None = None


@dataclass(frozen=True)
class Loaded:
    id: int
    state: State
    version: int
    place: Place
    gaps_since: dict[str, str] = field(default_factory=dict)  # gap -> ISO time it opened
    workspace_id: int = 0  # the store's own id of the workspace


@dataclass(frozen=True)
class Listing:
    """One line of a list of assessments."""

    id: int
    project: str
    stage: Stage
    position: int
    answered: int
    percent: int
    level: str
    gaps: tuple[str, ...]

    def __str__(self) -> str:
        where = "finished" if self.stage is Stage.FINISHED else (
            f"question {self.position} of {TOTAL}" if self.stage is Stage.ASKING else "in review"
        )
        return f"{self.project} ({where}, {self.answered} of {TOTAL} answered, {self.percent}%)"


class Store(Protocol):
    """Keeps assessments; storage/ implements it."""

    async def create(self, *, place: Place, state: State, now: datetime) -> int: ...

    async def load(self, *, assessment_id: int, workspace: str | None = None) -> Loaded | None: ...

    async def save(self, *, loaded: Loaded, state: State, now: datetime) -> bool:
        """Write `state` if the stored version is still `loaded.version`; False if someone else wrote first."""
        ...

    async def listing(self, *, platform: str, workspace: str, unfinished_only: bool = False) -> list[Listing]: ...


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Outcome:
    """What a turn produced: the replies, and the assessment as it now stands."""

    replies: tuple[Reply, ...]
    state: State
    place: Place
    changed: bool
    version: int = 0  # the stored version the state belongs to


@dataclass(frozen=True)
class Started:
    """A new assessment: its id and first state (both None when the start was refused), and the replies."""

    id: int | None
    state: State | None
    replies: tuple[Reply, ...]


class Assessments:
    """The service layer: load, step, save with optimistic concurrency, retry on conflict."""

    def __init__(self, *, store: Store) -> None:
        self.store = store

    async def start(
        self, *, place: Place, project: str, by: Person, now: datetime, sponsor: Person | None = None
    ) -> Started:
        result = step(None, Start(project=project, by=by, sponsor=sponsor), now)
        if result.state is None:
            return Started(id=None, state=None, replies=result.replies)
        assessment_id = await self.store.create(place=place, state=result.state, now=now)
        return Started(id=assessment_id, state=result.state, replies=result.replies)

    async def handle(
        self, *, assessment_id: int, event: Event, now: datetime, workspace: str | None = None
    ) -> tuple[Reply, ...]:
        outcome = await self.run(assessment_id=assessment_id, event=event, now=now, workspace=workspace)
        return outcome.replies

    async def run(self, *, assessment_id: int, event: Event, now: datetime, workspace: str | None = None) -> Outcome:
        """Apply an event; a concurrent writer makes us reload and apply it again to the newer state.

        With `workspace`, an assessment of any other workspace is NotFound.
        """
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # spread out the writers that collided
            loaded = await self.store.load(assessment_id=assessment_id, workspace=workspace)
            if loaded is None:
                raise NotFound(assessment_id)
            result = step(loaded.state, event, now)
            assert result.state is not None
            if result.state == loaded.state:
                return Outcome(result.replies, loaded.state, loaded.place, changed=False, version=loaded.version)
            if await self.store.save(loaded=loaded, state=result.state, now=now):
                return Outcome(result.replies, result.state, loaded.place, changed=True, version=loaded.version + 1)
        busy = (prompts.error("Several people are answering at once; please send that again."),)
        return Outcome(busy, loaded.state, loaded.place, changed=False, version=loaded.version)
