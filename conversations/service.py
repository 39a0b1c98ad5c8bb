"""Running events against stored assessments, one turn at a time, each change saved once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conversations.events import Event, Start
from conversations.machine import State, step
from conversations.messages import Reply
from conversations.people import Person
from conversations.ports import AlreadyApplied, Assessments, Listing, Loaded, NameTaken, Place

__all__ = ["Listing", "Loaded", "NotFound", "Outcome", "Place", "Started", "Turns"]


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
    existing: int | None = None  # a check of that name already lives there: this one


class Turns:
    """Each turn one unit of work in the store: load, step, save (and mark its request applied), all or nothing."""

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
        except NameTaken as taken:
            return Started(id=None, state=None, replies=(), existing=taken.assessment_id)
        return Started(id=assessment_id, state=result.state, replies=result.replies)

    async def run(
        self, *, assessment_id: int, event: Event, now: datetime, workspace: str | None = None, applying: int | None = None
    ) -> Outcome:
        """Apply an event to the assessment as it stands; concurrent turns on it queue in the store, each seeing the last.

        With `workspace`, an assessment of any other workspace is NotFound. With `applying` (the inbox
        request this event came from), a request applied before changes nothing and says so.
        """
        turn = _Step(event=event, now=now)
        try:
            done = await self.assessments.change(assessment_id=assessment_id, workspace=workspace, apply=turn, now=now, applying=applying)
        except AlreadyApplied:
            assert turn.loaded is not None  # the request is marked after the step
            return Outcome((), turn.loaded.state, turn.loaded.place, changed=False, version=turn.loaded.version, replayed=True)
        if done is None:
            raise NotFound(assessment_id)
        return Outcome(turn.replies, done.state, done.loaded.place, changed=done.changed, version=done.version)


@dataclass
class _Step:
    """The step of one turn, run by the store on the state it holds; it keeps what it read and the replies."""

    event: Event
    now: datetime
    loaded: Loaded | None = None
    replies: tuple[Reply, ...] = ()

    def __call__(self, loaded: Loaded) -> State | None:
        result = step(loaded.state, self.event, self.now)
        assert result.state is not None
        self.loaded, self.replies = loaded, result.replies
        return None if result.state == loaded.state else result.state
