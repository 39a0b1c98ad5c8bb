"""What the SQL repositories share: sessions, the dialect's INSERT, and rows read or written by more than one.

The workspace and people upserts, reading assessments back into states (SQLAlchemy Core, two
statements whatever their number, each compiled once), and a workspace row's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, null, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from conversations.machine import Answer as AnswerState
from conversations.machine import Pending, Stage, State
from conversations.people import Person as PersonRef
from conversations.ports import Loaded, Place
from conversations.schedule import Settings
from storage.database import Database
from storage.tables import Answer, Assessment, Person, Workspace

NAME_LENGTH = 200  # as the person.name column


class SqlRepository:
    """A repository on a database, SQLite or PostgreSQL: each method one transaction, run by `Database.run`."""

    def __init__(self, *, database: Database) -> None:
        self.db = database
        self._insert = insert_for(database.sync_engine)


def orm(conn: Connection) -> Session:
    """An ORM session inside the connection's transaction (`Database.run` commits it, not the session)."""
    return Session(bind=conn, expire_on_commit=False)


def insert_for(bind: Any) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT on both databases."""
    return _insert_of(bind.dialect.name)


def _insert_of(dialect: str) -> Callable[..., Any]:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def workspace_id(conn: Connection, *, platform: str, workspace: str, now: datetime) -> int:
    """The workspace's id, inserting it the first time it is seen (one statement)."""
    insert = insert_for(conn)(Workspace).values(platform=platform, external_id=workspace, created_at=now)
    upsert = insert.on_conflict_do_update(
        index_elements=["platform", "external_id"], set_={"platform": insert.excluded.platform}
    ).returning(col(Workspace.id))
    return conn.execute(upsert).scalar_one()


@dataclass(frozen=True)
class Known:
    """A person row as read: its id and the name stored."""

    id: int
    name: str


def people_ids(
    conn: Connection,
    *,
    workspace_id: int,
    people: Iterable[PersonRef | None],
    now: datetime,
    known: Mapping[str, Known] | None = None,
) -> dict[str, int]:
    """Everyone named, by key: their ids. Those not `known` by that name are inserted or renamed, in one statement."""
    known = known or {}
    unique = {p.key: p for p in people if p is not None}
    ids = {k: known[k].id for k, p in unique.items() if k in known and known[k].name == p.name[:NAME_LENGTH]}
    rows = [
        {"workspace_id": workspace_id, "external_id": k, "name": p.name[:NAME_LENGTH], "updated_at": now}
        for k, p in sorted(unique.items())  # in key order: writers that upsert the same people lock them in the same order
        if k not in ids
    ]
    if rows:
        ids.update((external_id, pid) for external_id, pid in conn.execute(_people_upsert(conn.dialect.name), rows).all())
    return ids


@cache
def _people_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING with its rows as parameters (not in the statement): compiled once."""
    insert = _insert_of(dialect)(Person)
    return insert.on_conflict_do_update(
        index_elements=["workspace_id", "external_id"],
        set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at},
    ).returning(col(Person.external_id), col(Person.id))


# Everything of an assessment a state is made of, with the workspace's own id.
_COLUMNS: tuple[Any, ...] = (
    col(Assessment.id),
    col(Assessment.workspace_id),
    col(Assessment.platform),
    col(Assessment.channel),
    col(Assessment.thread),
    col(Assessment.project),
    col(Assessment.started_by_id),
    col(Assessment.sponsor_id),
    col(Assessment.owner_id),
    col(Assessment.stage),
    col(Assessment.cursor),
    col(Assessment.skipped),
    col(Assessment.pending),
    col(Assessment.version),
    col(Assessment.created_at),
    col(Assessment.finished_at),
    col(Assessment.snoozed_until),
    col(Assessment.gaps_since),
    col(Workspace.external_id).label("workspace"),
)
# Their answers with who gave each, and the people the assessments name (started, sponsor, owner), in one statement.
_DETAILS = union_all(
    select(
        col(Answer.id).label("answer_id"),
        col(Answer.assessment_id),
        col(Answer.question),
        col(Answer.value),
        col(Answer.answered_at),
        col(Person.id).label("person_id"),
        col(Person.external_id),
        col(Person.name),
    )
    .join(Person, col(Person.id) == col(Answer.answered_by_id))
    .where(col(Answer.assessment_id).in_(bindparam("b_assessments", expanding=True))),
    select(null(), null(), null(), null(), null(), col(Person.id), col(Person.external_id), col(Person.name)).where(
        col(Person.id).in_(bindparam("b_people", expanding=True))
    ),
).order_by("answer_id")


def assessments(condition: Any = None) -> Select[Any]:
    """The query of the assessments `condition` selects (all without one), for `read_assessments`."""
    query = select(*_COLUMNS).join(Workspace, col(Workspace.id) == col(Assessment.workspace_id)).order_by(col(Assessment.id))
    return query if condition is None else query.where(condition)


def read_assessments(
    conn: Connection, query: Select[Any], params: Mapping[str, Any] | None = None
) -> tuple[list[Loaded], dict[str, Known]]:
    """The assessments `query` selects (see `assessments`), and everyone they name by key, in two statements."""
    found = conn.execute(query, params or {}).all()
    if not found:
        return [], {}
    named = {i for row in found for i in (row.started_by_id, row.sponsor_id, row.owner_id) if i is not None}
    details = conn.execute(_DETAILS, {"b_assessments": [row.id for row in found], "b_people": sorted(named)}).all()
    people: dict[int, PersonRef] = {}
    known: dict[str, Known] = {}
    answers: dict[int, dict[str, AnswerState]] = {row.id: {} for row in found}
    for d in details:
        if d.person_id not in people:
            people[d.person_id] = person_ref(d.external_id, d.name)
            known[d.external_id] = Known(id=d.person_id, name=d.name)
        if d.answer_id is not None:
            answers[d.assessment_id][d.question] = AnswerState(values=d.value, by=people[d.person_id], at=d.answered_at)
    return [_loaded(row, answers[row.id], people) for row in found], known


def load_assessments(conn: Connection, condition: Any = None) -> list[Loaded]:
    """The assessments `condition` selects (all without one), with their answers and people, in two statements."""
    return read_assessments(conn, assessments(condition))[0]


def person_ref(external_id: str, name: str) -> PersonRef:
    """A person row as the conversation knows them (no platform id for people known only by name)."""
    return PersonRef.from_key(external_id, name=name)


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
        stop_after=ws.stop_after,
        tz_source=ws.tz_source,
        tz_by=ws.tz_by,
    )


def _loaded(row: Any, answers: dict[str, AnswerState], people: dict[int, PersonRef]) -> Loaded:
    state = State(
        project=row.project,
        started_by=people[row.started_by_id],
        started_at=row.created_at,
        stage=Stage(row.stage),
        cursor=row.cursor,
        answers=answers,
        skipped=frozenset(row.skipped),
        pending=Pending(**row.pending) if row.pending else None,
        sponsor=people[row.sponsor_id] if row.sponsor_id else None,
        finished_at=row.finished_at,
        snoozed_until=row.snoozed_until,
    )
    place = Place(platform=row.platform, workspace=row.workspace, channel=row.channel, thread=row.thread)
    return Loaded(
        id=row.id, state=state, version=row.version, place=place, gaps_since=dict(row.gaps_since or {}), workspace_id=row.workspace_id
    )
