"""What the SQL repositories share: sessions, the dialect's INSERT, and rows read or written by more than one.

The workspace and people upserts, reading assessments back into states, and a workspace row's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from conversations.machine import Answer as AnswerState
from conversations.machine import Pending, Stage, State
from conversations.people import Person as PersonRef
from conversations.ports import Loaded, Place
from conversations.schedule import Settings
from storage.tables import Answer, Assessment, Person, Workspace


class SqlRepository:
    """A repository on an engine: SQLite or PostgreSQL."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self.engine = engine
        self._insert = insert_for(engine)

    def session(self) -> AsyncSession:
        return AsyncSession(self.engine, expire_on_commit=False)


def insert_for(bind: Any) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT on both databases."""
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert


async def workspace_id(session: AsyncSession, *, platform: str, workspace: str, now: datetime) -> int:
    """The workspace's id, inserting it the first time it is seen (one statement)."""
    insert = insert_for(session.bind)(Workspace).values(platform=platform, external_id=workspace, created_at=now)
    upsert = insert.on_conflict_do_update(
        index_elements=["platform", "external_id"], set_={"platform": insert.excluded.platform}
    ).returning(Workspace.id)
    return (await session.exec(upsert)).scalar_one()


async def people_ids(session: AsyncSession, *, workspace_id: int, people: Iterable[PersonRef | None], now: datetime) -> dict[str, int]:
    """Insert or refresh everyone named, in one statement; returns their ids by key."""
    unique = {p.key: p for p in people if p is not None}
    if not unique:
        return {}
    rows = [{"workspace_id": workspace_id, "external_id": k, "name": p.name[:200], "updated_at": now} for k, p in unique.items()]
    insert = insert_for(session.bind)(Person).values(rows)
    upsert = insert.on_conflict_do_update(
        index_elements=["workspace_id", "external_id"],
        set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at},
    ).returning(Person.external_id, Person.id)
    return {external_id: pid for external_id, pid in (await session.exec(upsert)).all()}


async def load_assessments(session: AsyncSession, condition: Any, *, workspace: str | None = None) -> list[Loaded]:
    """The assessments `condition` selects, with their answers and people, in three statements."""
    query = select(Assessment, Workspace).join(Workspace, col(Workspace.id) == Assessment.workspace_id)
    if condition is not None:
        query = query.where(condition)
    if workspace is not None:
        query = query.where(Workspace.external_id == workspace)
    found = (await session.exec(query.order_by(col(Assessment.id)))).all()
    if not found:
        return []
    ids = [row.id for row, _ in found]
    answers = (
        await session.exec(
            select(Answer, Person).join(Person, col(Person.id) == Answer.answered_by_id).where(col(Answer.assessment_id).in_(ids))
        )
    ).all()
    wanted = {i for row, _ in found for i in (row.started_by_id, row.sponsor_id) if i is not None}
    people = {p.id: p for p in (await session.exec(select(Person).where(col(Person.id).in_(wanted)))).all() if p.id is not None}
    by_assessment: dict[int | None, dict[str, AnswerState]] = {i: {} for i in ids}
    for a, p in answers:
        by_assessment[a.assessment_id][a.question] = AnswerState(values=a.value, by=person_ref(p), at=a.answered_at)
    return [_loaded(row, ws, by_assessment[row.id], people) for row, ws in found]


def person_ref(person: Person) -> PersonRef:
    """A person row as the conversation knows them (no platform id for people known only by name)."""
    pid = None if person.external_id.startswith("name:") else person.external_id
    return PersonRef(name=person.name, id=pid)


def settings_of(ws: Workspace) -> Settings:
    """A workspace row's reminder and digest settings."""
    return Settings(
        tz=ws.tz,
        nudge_every=ws.nudge_every,
        nudge_at=time.fromisoformat(ws.nudge_at),
        work_start=time.fromisoformat(ws.work_start),
        work_end=time.fromisoformat(ws.work_end),
        stall_after=timedelta(hours=ws.stall_hours),
        escalate_after=ws.escalate_after,
        digest_weekday=ws.digest_weekday,
        digest_at=time.fromisoformat(ws.digest_at),
    )


def _loaded(row: Assessment, ws: Workspace, answers: dict[str, AnswerState], people: dict[int, Person]) -> Loaded:
    assert row.id is not None
    state = State(
        project=row.project,
        started_by=person_ref(people[row.started_by_id]),
        started_at=row.created_at,
        stage=Stage(row.stage),
        cursor=row.cursor,
        answers=answers,
        skipped=frozenset(row.skipped),
        pending=Pending(**row.pending) if row.pending else None,
        sponsor=person_ref(people[row.sponsor_id]) if row.sponsor_id else None,
        finished_at=row.finished_at,
        snoozed_until=row.snoozed_until,
    )
    place = Place(platform=row.platform, workspace=ws.external_id, channel=row.channel, thread=row.thread)
    return Loaded(
        id=row.id, state=state, version=row.version, place=place, gaps_since=dict(row.gaps_since or {}), workspace_id=row.workspace_id
    )
