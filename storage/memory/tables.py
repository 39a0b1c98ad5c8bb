"""What the in-memory fakes hold: one dataclass per row, one dict per table, shared like one database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from conversations.machine import State
from conversations.people import Person
from conversations.ports import AlreadyApplied, Place
from conversations.schedule import Settings

NAME_LENGTH = 200  # as the SQL column


@dataclass
class WorkspaceRow:
    id: int
    platform: str
    external_id: str
    settings: Settings = field(default_factory=Settings)


@dataclass
class PersonRow:
    id: int
    workspace_id: int
    key: str  # the platform id, or "name:<lowercased name>"
    name: str
    tz: str | None = None
    tz_checked_at: datetime | None = None
    next_digest_at: datetime | None = None


@dataclass
class AssessmentRow:
    id: int
    workspace_id: int
    place: Place
    state: State  # its people are read back from the people rows, with their latest names
    authors: dict[str, int]  # question -> person id of who answered it
    started_by_id: int
    sponsor_id: int | None
    owner_id: int | None
    created_at: datetime
    updated_at: datetime
    gaps_since: dict[str, str]
    version: int = 1
    next_reminder_at: datetime | None = None
    last_reminded_at: datetime | None = None
    reminders_since_change: int = 0
    escalated: bool = False
    reminded_gaps: tuple[str, ...] = ()
    digested_total: float | None = None


@dataclass(frozen=True)
class ChangeRow:
    id: int
    assessment_id: int
    question: str
    old_value: dict[str, Any] | None
    new_value: dict[str, Any]
    changed_by_id: int
    changed_at: datetime


@dataclass
class InboxRow:
    id: int
    key: str
    platform: str
    workspace: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    applied_at: datetime | None = None
    done_at: datetime | None = None
    error: str | None = None


@dataclass
class DeliveryRow:
    id: int
    key: str
    kind: str
    workspace_id: int
    assessment_id: int | None
    person_id: int | None
    platform: str
    target: dict[str, Any]
    notice: dict[str, Any]
    next_attempt_at: datetime
    created_at: datetime
    status: str = "pending"  # pending, sending, sent, failed
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = None


@dataclass
class TeamsRow:
    id: int
    workspace_id: int
    conversation_id: str
    kind: str
    user_id: str | None
    reference: dict[str, Any]
    updated_at: datetime
    active: bool = True


@dataclass
class Tables:
    """Everything the fakes hold, by table, with each table's last id."""

    workspaces: dict[int, WorkspaceRow] = field(default_factory=dict)
    people: dict[int, PersonRow] = field(default_factory=dict)
    assessments: dict[int, AssessmentRow] = field(default_factory=dict)
    history: list[ChangeRow] = field(default_factory=list)
    inbox: dict[int, InboxRow] = field(default_factory=dict)
    deliveries: dict[int, DeliveryRow] = field(default_factory=dict)
    teams: dict[int, TeamsRow] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]

    def workspace(self, platform: str, external_id: str) -> WorkspaceRow | None:
        return next((w for w in self.workspaces.values() if (w.platform, w.external_id) == (platform, external_id)), None)

    def upsert_workspace(self, platform: str, external_id: str) -> WorkspaceRow:
        """The workspace, inserted the first time it is seen."""
        found = self.workspace(platform, external_id)
        if found is None:
            found = WorkspaceRow(self.new_id("workspace"), platform, external_id)
            self.workspaces[found.id] = found
        return found

    def person(self, workspace_id: int, key: str) -> PersonRow | None:
        return next((p for p in self.people.values() if (p.workspace_id, p.key) == (workspace_id, key)), None)

    def upsert_person(self, workspace_id: int, person: Person) -> PersonRow:
        """The person, inserted the first time they are seen."""
        found = self.person(workspace_id, person.key)
        if found is None:
            found = PersonRow(self.new_id("person"), workspace_id, person.key, person.name[:NAME_LENGTH])
            self.people[found.id] = found
        return found

    def people_ids(self, workspace_id: int, people: Iterable[Person | None]) -> dict[str, int]:
        """Insert or refresh (the name of) everyone named; their ids by key."""
        ids: dict[str, int] = {}
        for p in people:
            if p is not None:
                row = self.upsert_person(workspace_id, p)
                row.name = p.name[:NAME_LENGTH]
                ids[p.key] = row.id
        return ids

    def ref(self, person_id: int) -> Person:
        row = self.people[person_id]
        return Person.from_key(row.key, name=row.name)

    def state(self, row: AssessmentRow) -> State:
        """The stored state, its people as the people rows now name them."""
        answers = {k: replace(a, by=self.ref(row.authors[k])) for k, a in row.state.answers.items()}
        sponsor = self.ref(row.sponsor_id) if row.sponsor_id is not None else None
        return replace(row.state, started_by=self.ref(row.started_by_id), sponsor=sponsor, answers=answers)

    def unapplied(self, applying: int | None) -> InboxRow | None:
        """The inbox row a change applies, if any; AlreadyApplied when it was applied before (or is unknown)."""
        if applying is None:
            return None
        row = self.inbox.get(applying)
        if row is None or row.applied_at is not None:
            raise AlreadyApplied(applying)
        return row

    def schedule_digest(self, person_id: int, now: datetime) -> None:
        """A new sponsor: the digest pass picks them up, checks their zone and sets their first slot."""
        person = self.people[person_id]
        if person.next_digest_at is None:
            person.next_digest_at, person.tz_checked_at = now, None

    def delete_assessments(self, ids: set[int]) -> None:
        """Delete assessments with their answers, history and deliveries."""
        for i in ids:
            self.assessments.pop(i, None)
        self.history[:] = [c for c in self.history if c.assessment_id not in ids]
        self.deliveries = {i: d for i, d in self.deliveries.items() if d.assessment_id not in ids}

    def delete_workspace(self, platform: str, external_id: str) -> bool:
        """Delete a workspace with everything that belongs to it (the inbox keeps its requests, as in SQL)."""
        ws = self.workspace(platform, external_id)
        if ws is None:
            return False
        del self.workspaces[ws.id]
        self.delete_assessments({i for i, r in self.assessments.items() if r.workspace_id == ws.id})
        self.people = {i: p for i, p in self.people.items() if p.workspace_id != ws.id}
        self.deliveries = {i: d for i, d in self.deliveries.items() if d.workspace_id != ws.id}
        self.teams = {i: r for i, r in self.teams.items() if r.workspace_id != ws.id}
        return True


async def round_trip() -> None:
    """Let other tasks in once, as waiting on a database would: concurrent writers then meet real conflicts."""
    await asyncio.sleep(0)
