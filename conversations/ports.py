"""The small boundaries the use cases need; storage/ implements each (and an in-memory fake passes the same suite).

One Protocol per boundary: assessments, workspaces (people and settings), the inbox of acknowledged
requests, the Teams conversation references, and the delivery outbox of reminders and digests
(Deliveries, at the end: the scheduler claims what is due, queues what the planner in
conversations/reminders.py planned, and records how each send went).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from conversations.questions import TOTAL
from conversations.scoring import Scorecard, score

if TYPE_CHECKING:
    from conversations.machine import Stage, State
    from conversations.people import Person
    from conversations.reminders import Candidate, Notice, Planned, Rescheduled, Target
    from conversations.schedule import Settings


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
class Changed:
    """What one change did: the assessment as it was read, and as it now stands."""

    loaded: Loaded  # as read, before the change
    state: State  # as stored now: the new state, or the one read when there was nothing to write
    version: int  # the stored version `state` belongs to

    @property
    def changed(self) -> bool:
        return self.version != self.loaded.version


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
        from conversations.machine import Stage

        where = (
            "finished"
            if self.stage is Stage.FINISHED
            else (f"question {self.position} of {TOTAL}" if self.stage is Stage.ASKING else "in review")
        )
        return f"{self.project} ({where}, {self.answered} of {TOTAL} answered, {self.percent}% ready)"


@dataclass(frozen=True)
class Change:
    """One change to an answer, as the audit trail keeps it."""

    question: str
    old_value: Mapping[str, Any] | None
    new_value: Mapping[str, Any] | None
    by: Person
    changed_at: datetime


class NameTaken(Exception):
    """A check of that name already lives in that conversation: the one to carry on with."""

    def __init__(self, assessment_id: int) -> None:
        super().__init__(assessment_id)
        self.assessment_id = assessment_id


class AlreadyApplied(Exception):
    """The inbox request this change belongs to was applied before (a redelivery after a crash)."""


class Assessments(Protocol):
    """Keeps assessments and their answers."""

    async def create(self, *, place: Place, state: State, now: datetime, applying: int | None = None) -> int:
        """Store a new assessment; with `applying`, in the same transaction as marking that inbox request applied.

        NameTaken (and nothing written) when a check of the same name, in any case, lives in that conversation."""
        ...

    async def load(self, *, assessment_id: int, workspace: str | None = None) -> Loaded | None:
        """With `workspace`, an assessment of any other workspace is not found."""
        ...

    async def load_all(self) -> list[Loaded]: ...

    async def version(self, *, assessment_id: int) -> int | None:
        """The stored version alone (one small read): has the assessment changed since a version was drawn?"""
        ...

    async def change(
        self,
        *,
        assessment_id: int,
        workspace: str | None,
        apply: Callable[[Loaded], State | None],
        now: datetime,
        applying: int | None = None,
    ) -> Changed | None:
        """Read an assessment, `apply` a change to it, and store the state that returns: one unit of work, all or nothing.

        The assessment is held from the read to the write, so changes to it queue and each sees the one
        before (no conflict to retry). None when it does not exist, or with `workspace`, when it belongs
        to any other workspace (then `apply` is not called). `apply` is pure and quick: it gets what was
        read and returns the new state, or None when there is nothing to write (then nothing of the
        assessment is, but the request is still marked, so a redelivery is known as one). A new state is written with its answers, their history, the
        scheduler's columns and a new sponsor's digest, and the version goes up by one. With
        `applying`, the inbox request of that id is marked applied in the same transaction;
        AlreadyApplied (and nothing written) when it was applied before. An exception from `apply`
        writes nothing and reaches the caller.
        """
        ...

    async def set_thread(self, *, assessment_id: int, thread: str) -> None: ...

    async def delete_assessment(self, *, assessment_id: int) -> None: ...

    async def listing(self, *, platform: str, workspace: str, unfinished_only: bool = False) -> list[Listing]: ...

    async def in_channel(self, *, platform: str, workspace: str, channel: str) -> list[Listing]:
        """The assessments of one conversation, the most recently started first."""
        ...

    async def for_person(self, *, platform: str, workspace: str, person: str) -> list[Listing]: ...

    async def history(self, *, assessment_id: int) -> list[Change]:
        """Every change to the assessment's answers, oldest first."""
        ...


@dataclass(frozen=True)
class Project:
    """One assessment as the digest sees it."""

    id: int
    state: State
    last_activity: datetime
    gaps_since: dict[str, str]
    previous_total: float | None  # the score in the last digest, if there was one
    unanswered: int = 0  # channel reminders since the last change (the channel hears no more at the workspace's cap)

    @cached_property
    def card(self) -> Scorecard:
        """The project's score, computed once for everything the digest says about it."""
        return score(self.state.values)


class Workspaces(Protocol):
    """Workspaces (a Slack team, a Teams tenant), their settings, and the people in them."""

    async def settings(self, *, platform: str, workspace: str) -> Settings: ...

    async def save_settings(self, *, platform: str, workspace: str, settings: Settings, now: datetime) -> None: ...

    async def adopt_zone(self, *, platform: str, workspace: str, tz: str | None, by: str | None, now: datetime) -> bool:
        """The workspace's zone from the platform (`by`'s profile or client), unless an admin chose one or one was found
        before; None records that nobody's zone was known (UTC stays). Whether the zone changed (its reminders are then
        looked at again)."""
        ...

    async def delete_workspace(self, *, platform: str, workspace: str) -> bool:
        """Delete a workspace with its people, assessments, answers, history and deliveries."""
        ...

    async def person_id(self, *, platform: str, workspace: str, person: str) -> int | None: ...

    async def set_time_zone(self, *, platform: str, workspace: str, person: Person, tz: str, now: datetime) -> None: ...

    async def sponsored(self, *, person_ids: list[int]) -> dict[int, list[Project]]:
        """Every assessment each of these people sponsors, for their digests."""
        ...


@dataclass(frozen=True)
class Incoming:
    """A request as it arrived, stored before it is acknowledged."""

    key: str  # unique per delivery: a retry or replay of the same request has the same key
    platform: str
    workspace: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    platform: str
    workspace: str
    payload: Mapping[str, Any]
    attempts: int  # including this one


class Inbox(Protocol):
    """Acknowledged requests, worked on under a lease until done, by this process or any replica."""

    async def put(self, *, item: Incoming, now: datetime, owner: str | None = None, lease: timedelta) -> Claimed | None:
        """Store a request; None when its key is there already (a retry). With `owner` the row is leased to it at once."""
        ...

    async def put_all(
        self, *, items: Sequence[Incoming], now: datetime, owner: str | None = None, lease: timedelta
    ) -> list[Claimed | None]:
        """`put` for several requests in one transaction, each answered in order (a key seen twice is stored once)."""
        ...

    async def claim(self, *, owner: str, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Requests not done whose lease has run out (or that never had one), leased to `owner`."""
        ...

    async def extend(self, *, id: int, owner: str, until: datetime) -> bool:
        """Keep a lease while the work goes on; False when another worker has taken the row."""
        ...

    async def done(self, *, id: int, owner: str, now: datetime, error: str | None = None) -> None: ...

    async def done_all(self, *, ids: Sequence[int], owner: str, now: datetime) -> None:
        """`done` without an error for several requests, in one transaction."""
        ...

    async def pending(self) -> int:
        """How many requests are not done yet."""
        ...

    async def prune(self, *, before: datetime) -> int:
        """Forget requests done before `before` (their keys no longer recognise a retry)."""
        ...


class TeamsReferences(Protocol):
    """Where proactive Teams messages go: the conversation references Bot Framework sent us."""

    async def remember(
        self, *, tenant: str, conversation_id: str, kind: str, reference: dict[str, Any], now: datetime, user_id: str | None = None
    ) -> None: ...

    async def find(self, *, tenant: str, conversation_id: str | None = None, user_id: str | None = None) -> Mapping[str, Any] | None:
        """The active reference (serialised) of a conversation, or of a person's personal chat."""
        ...

    async def deactivate(self, *, tenant: str, conversation_id: str) -> None: ...


# -- the delivery outbox: reminders and digests -------------------------------------------

DELIVERY_LEASE = timedelta(minutes=5)  # how long a claimed assessment, sponsor or delivery is out of other passes' reach


@dataclass(frozen=True)
class Outgoing:
    """A queued delivery, claimed for sending."""

    id: int
    key: str
    platform: str
    target: Target
    notice: Notice
    attempts: int  # sends tried before this one


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one send went."""

    id: int
    status: str  # sent, pending (retry) or failed
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class DueSponsor:
    """A sponsor whose digest is due, with where they are and their workspace's settings."""

    id: int
    external_id: str
    name: str
    tz: str | None
    tz_checked_at: datetime | None
    platform: str
    workspace: str
    workspace_id: int
    settings: Settings


class Deliveries(Protocol):
    """The scheduler's queues (assessments and sponsors due a look, the outbox keyed once per delivery), claimed under leases."""

    async def claim_assessments(self, *, now: datetime, platforms: Sequence[str], limit: int, lease: bool = True) -> list[Candidate]:
        """Assessments whose next look is due, leased for DELIVERY_LEASE, with all the planner needs (without `lease`, only
        read: a dry run changes nothing)."""
        ...

    async def zones_to_find(self, *, platforms: Sequence[str], limit: int) -> list[tuple[str, str, Person]]:
        """(platform, workspace, first person to start a check there) for workspaces whose zone was never looked for."""
        ...

    async def record(self, *, planned: Sequence[Planned], rescheduled: Sequence[Rescheduled], now: datetime) -> int:
        """Queue the planned notices (once per key) and write each assessment's next look if still leased; how many were new."""
        ...

    async def claim_outbox(self, *, now: datetime, limit: int, lease: bool = True) -> list[Outgoing]:
        """Deliveries due now (new, to retry, or abandoned by a crashed sender), oldest first, leased (or only read)."""
        ...

    async def keep(self, *, ids: Sequence[int], until: datetime) -> None:
        """A live pass keeps its claim: the deliveries still being sent stay out of other passes' reach until `until`."""
        ...

    async def finish(self, *, outcomes: Sequence[DeliveryOutcome], now: datetime) -> None:
        """Record how each send went; one more attempt each."""
        ...

    async def claim_sponsors(self, *, now: datetime, platforms: Sequence[str], limit: int, lease: bool = True) -> list[DueSponsor]:
        """Sponsors whose digest is due, leased for DELIVERY_LEASE (or only read)."""
        ...

    async def record_digests(
        self,
        *,
        planned: Sequence[Planned],
        schedule: Mapping[int, tuple[datetime | None, str | None, datetime | None]],
        digested: Mapping[int, float],
        now: datetime,
    ) -> int:
        """Queue digests; write each sponsor's (next slot, zone, zone checked at) and each project's digested score."""
        ...

    async def outbox(self) -> list[Any]:
        """Every delivery, oldest first (for tests and inspection)."""
        # Rows with key, kind, platform, target, notice, status, attempts, error, next_attempt_at, sent_at,
        # workspace_id, assessment_id and person_id.
        ...
