"""Running events against stored assessments, one turn at a time, each change saved once."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime

from conversations import prompts
from conversations.events import Event, Start
from conversations.machine import State, step
from conversations.messages import Reply
from conversations.people import Person
from conversations.ports import AlreadyApplied, Assessments, Listing, Loaded, Place

__all__ = ["Listing", "Loaded", "NotFound", "Outcome", "Place", "Started", "Turns"]
MAX_ATTEMPTS = 40


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
    replayed: bool = False  # the request was applied before (redelivered after a crash): nothing new happened


@dataclass(frozen=True)
class Started:
    """A new assessment: its id and first state (both None when the start was refused), and the replies."""

    id: int | None
    state: State | None
    replies: tuple[Reply, ...]
    replayed: bool = False


class Turns:
    """Load, step, save with optimistic concurrency; retry on conflict."""

    def __init__(self, *, assessments: Assessments) -> None:
        self.assessments = assessments

    async def start(
        self, *, place: Place, project: str, by: Person, now: datetime, sponsor: Person | None = None, applying: int | None = None
    ) -> Started:
        result = step(None, Start(project=project, by=by, sponsor=sponsor), now)
        if result.state is None:
            return Started(id=None, state=None, replies=result.replies)
        try:
            assessment_id = await self.assessments.create(place=place, state=result.state, now=now, applying=applying)
        except AlreadyApplied:
            return Started(id=None, state=None, replies=(), replayed=True)
        return Started(id=assessment_id, state=result.state, replies=result.replies)

    async def run(
        self, *, assessment_id: int, event: Event, now: datetime, workspace: str | None = None, applying: int | None = None
    ) -> Outcome:
        """Apply an event; a concurrent writer makes us reload and apply it again to the newer state.

        With `workspace`, an assessment of any other workspace is NotFound. With `applying` (the inbox
        request this event came from), a request applied before changes nothing and says so.
        """
        loaded: Loaded | None = None
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))  # spread out the writers that collided
            loaded = await self.assessments.load(assessment_id=assessment_id, workspace=workspace)
            if loaded is None:
                raise NotFound(assessment_id)
            result = step(loaded.state, event, now)
            assert result.state is not None
            if result.state == loaded.state:
                return Outcome(result.replies, loaded.state, loaded.place, changed=False, version=loaded.version)
            try:
                saved = await self.assessments.save(loaded=loaded, state=result.state, now=now, applying=applying)
            except AlreadyApplied:
                return Outcome((), loaded.state, loaded.place, changed=False, version=loaded.version, replayed=True)
            if saved:
                return Outcome(result.replies, result.state, loaded.place, changed=True, version=loaded.version + 1)
        assert loaded is not None
        busy = (prompts.error("Several people are answering at once; please send that again."),)
        return Outcome(busy, loaded.state, loaded.place, changed=False, version=loaded.version)
