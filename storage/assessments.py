"""Assessments in SQL: a turn is one transaction of a few statements, each compiled once, whatever the number of answers.

A change holds its assessment from the read to the write: on PostgreSQL the row is locked (SELECT …
FOR UPDATE), on SQLite the transaction begins with the database's write lock (BEGIN IMMEDIATE). So
changes to one assessment queue, each reads what the one before wrote, and none has to be retried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, update
from sqlmodel import col, select

from conversations.machine import Stage, State
from conversations.ports import AlreadyApplied, Change, Changed, Listing, Loaded, NameTaken, Place
from conversations.questions import TOTAL
from conversations.scoring import Scorecard, score
from storage.database import begin_immediate
from storage.inbox import mark_applied
from storage.rows import (
    Known,
    SqlRepository,
    assessments,
    load_assessments,
    orm,
    people_ids,
    person_ref,
    read_assessments,
    workspace_id,
)
from storage.tables import Answer, AnswerChange, Assessment, Person, Workspace

# The statements of a change, built once: their parameters change, their SQL does not.
_ONE = assessments(col(Assessment.id) == bindparam("b_id"))
_ONE_IN_WORKSPACE = _ONE.where(col(Workspace.external_id) == bindparam("b_workspace"))
_LOCKED = _ONE.with_for_update(of=Assessment)  # FOR UPDATE OF assessment on PostgreSQL; nothing on SQLite
_LOCKED_IN_WORKSPACE = _ONE_IN_WORKSPACE.with_for_update(of=Assessment)
_SAME_NAME = (
    select(col(Assessment.id))
    .join(Workspace, col(Workspace.id) == col(Assessment.workspace_id))
    .where(
        col(Workspace.platform) == bindparam("b_platform"),
        col(Workspace.external_id) == bindparam("b_workspace"),
        col(Assessment.channel) == bindparam("b_channel"),
        func.lower(col(Assessment.project)) == func.lower(bindparam("b_project")),
    )
    .limit(1)
)
_VERSION = select(col(Assessment.version)).where(col(Assessment.id) == bindparam("b_id"))
_BUMP = update(Assessment).where(col(Assessment.id) == bindparam("b_id"), col(Assessment.version) == bindparam("b_version"))
_RECORD = insert(AnswerChange)
_SCHEDULE_DIGEST = (  # a new sponsor: the digest pass picks them up, checks their zone and sets their first slot
    update(Person)
    .where(col(Person.id) == bindparam("b_id"), col(Person.next_digest_at).is_(None))
    .values(next_digest_at=bindparam("b_now"), tz_checked_at=None)
)


class SqlAssessments(SqlRepository):
    """conversations.ports.Assessments on SQLAlchemy."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        answer = self._insert(Answer)
        self._upsert_answers = answer.on_conflict_do_update(
            index_elements=["assessment_id", "question"],
            set_={c: answer.excluded[c] for c in ("value", "score", "answered_by_id", "answered_at")},
        )

    async def create(self, *, place: Place, state: State, now: datetime, applying: int | None = None) -> int:
        """Store a new assessment; with `applying`, in the same transaction as marking that inbox request applied."""
        return await self.db.run(self._create, place, state, now, applying)

    def _create(self, conn: Connection, place: Place, state: State, now: datetime, applying: int | None) -> int:
        _apply(conn, applying=applying, now=now)
        taken = {"b_platform": place.platform, "b_workspace": place.workspace, "b_channel": place.channel, "b_project": state.project}
        if (same := conn.execute(_SAME_NAME, taken).scalar()) is not None:
            raise NameTaken(same)
        wid = workspace_id(conn, platform=place.platform, workspace=place.workspace, now=now)
        people = people_ids(conn, workspace_id=wid, people=[state.started_by, state.sponsor], now=now)
        row = {
            "workspace_id": wid,
            "platform": place.platform,
            "channel": place.channel,
            "thread": place.thread,
            "project": state.project,
            "started_by_id": people[state.started_by.key],
            "created_at": now,
            "updated_at": now,
            "next_reminder_at": now,
            **_columns(state, people, card=score(state.values), gaps_before={}, now=now),
        }
        created = conn.execute(insert(Assessment).values(row).returning(col(Assessment.id))).scalar_one()
        if state.sponsor is not None:
            conn.execute(_SCHEDULE_DIGEST, {"b_id": people[state.sponsor.key], "b_now": now})
        assert created is not None
        return created

    async def load(self, *, assessment_id: int, workspace: str | None = None) -> Loaded | None:
        """With `workspace`, an assessment of any other workspace is not found."""
        query = _ONE if workspace is None else _ONE_IN_WORKSPACE
        found, _ = await self.db.run(read_assessments, query, {"b_id": assessment_id, "b_workspace": workspace})
        return found[0] if found else None

    async def version(self, *, assessment_id: int) -> int | None:
        return await self.db.run(lambda conn: conn.execute(_VERSION, {"b_id": assessment_id}).scalar_one_or_none())

    async def load_all(self) -> list[Loaded]:
        """Every assessment with its answers (for export), in two statements."""
        return await self.db.run(load_assessments)

    async def change(
        self,
        *,
        assessment_id: int,
        workspace: str | None,
        apply: Callable[[Loaded], State | None],
        now: datetime,
        applying: int | None = None,
    ) -> Changed | None:
        """Read, apply and write in one transaction that holds the assessment throughout (see the module's docstring)."""
        query = _LOCKED if workspace is None else _LOCKED_IN_WORKSPACE

        def change(conn: Connection) -> Changed | None:
            # The write lock before the read, so no other process writes in between (a reader cannot wait for it later).
            begin_immediate(conn)
            found, known = read_assessments(conn, query, {"b_id": assessment_id, "b_workspace": workspace})
            if not found:
                return None
            loaded = found[0]
            state = apply(loaded)
            # The request is marked even when it changes nothing, so that a redelivery is always known as one.
            _apply(conn, applying=applying, now=now)
            if state is None:
                return Changed(loaded=loaded, state=loaded.state, version=loaded.version)
            self._write(conn, loaded=loaded, state=state, known=known, now=now)
            return Changed(loaded=loaded, state=state, version=loaded.version + 1)

        return await self.db.run(change)

    def _write(self, conn: Connection, *, loaded: Loaded, state: State, known: Mapping[str, Known], now: datetime) -> None:
        """A new state over the one read (and held): its row, the answers that changed and their history, a new sponsor's digest."""
        before = loaded.state.answers
        changed = [k for k in state.answers if before.get(k) != state.answers[k]]
        card = score(state.values)
        authors = [state.answers[k].by for k in changed]
        people = people_ids(conn, workspace_id=loaded.workspace_id, people=[*authors, state.sponsor, state.owner], now=now, known=known)
        bumped = conn.execute(
            _BUMP,
            {
                "b_id": loaded.id,
                "b_version": loaded.version,
                "version": loaded.version + 1,
                "updated_at": now,
                # The scheduler looks again at anything that changed; an archived check is never due again.
                "next_reminder_at": None if state.stage is Stage.ARCHIVED else now,
                **_columns(state, people, card=card, gaps_before=loaded.gaps_since, now=now),
            },
        )
        if bumped.rowcount != 1:  # it is held: only a writer that bypasses change() gets here
            raise RuntimeError(f"assessment {loaded.id} changed while held (version {loaded.version})")
        if changed:
            answers = [(k, state.answers[k], people[state.answers[k].by.key]) for k in changed]
            conn.execute(
                self._upsert_answers,
                [
                    {
                        "assessment_id": loaded.id,
                        "question": k,
                        "value": dict(a.values),
                        "score": card.scores[k],
                        "answered_by_id": by,
                        "answered_at": a.at,
                    }
                    for k, a, by in answers
                ],
            )
            conn.execute(
                _RECORD,
                [
                    {
                        "assessment_id": loaded.id,
                        "question": k,
                        "old_value": dict(before[k].values) if k in before else None,
                        "new_value": dict(a.values),
                        "changed_by_id": by,
                        "changed_at": a.at,
                    }
                    for k, a, by in answers
                ],
            )
        if state.sponsor is not None and state.sponsor != loaded.state.sponsor:
            conn.execute(_SCHEDULE_DIGEST, {"b_id": people[state.sponsor.key], "b_now": now})

    async def set_thread(self, *, assessment_id: int, thread: str) -> None:
        """Remember the thread an assessment lives in, once the platform has created it."""
        statement = update(Assessment).where(col(Assessment.id) == assessment_id).values(thread=thread)
        await self.db.run(lambda conn: conn.execute(statement).rowcount)

    async def delete_assessment(self, *, assessment_id: int) -> None:
        """Delete an assessment with its answers, history and deliveries."""
        statement = delete(Assessment).where(col(Assessment.id) == assessment_id)
        await self.db.run(lambda conn: conn.execute(statement).rowcount)

    async def listing(self, *, platform: str, workspace: str, unfinished_only: bool = False) -> list[Listing]:
        """A workspace's assessments, the most recently changed first."""
        query = (
            select(Assessment)
            .join(Workspace, col(Workspace.id) == Assessment.workspace_id)
            .where(Workspace.platform == platform, Workspace.external_id == workspace)
            .order_by(col(Assessment.updated_at).desc(), col(Assessment.id).desc())
        )
        query = query.where(Assessment.stage != Stage.ARCHIVED.value)
        if unfinished_only:
            query = query.where(Assessment.stage != Stage.FINISHED.value)
        return await self.db.run(lambda conn: [_listing(r) for r in orm(conn).exec(query).all()])

    async def in_channel(self, *, platform: str, workspace: str, channel: str) -> list[Listing]:
        """The assessments of one conversation, the most recently started first."""
        query = (
            select(Assessment)
            .join(Workspace, col(Workspace.id) == Assessment.workspace_id)
            .where(Workspace.platform == platform, Workspace.external_id == workspace, Assessment.channel == channel)
            .where(Assessment.stage != Stage.ARCHIVED.value)
            .order_by(col(Assessment.created_at).desc(), col(Assessment.id).desc())
        )
        return await self.db.run(lambda conn: [_listing(r) for r in orm(conn).exec(query).all()])

    async def for_person(self, *, platform: str, workspace: str, person: str) -> list[Listing]:
        """Assessments a person started, owns or sponsors (the 50 most recently changed)."""
        ids = (
            select(Person.id)
            .join(Workspace, col(Workspace.id) == Person.workspace_id)
            .where(Workspace.platform == platform, Workspace.external_id == workspace, Person.external_id == person)
        )
        query = (
            select(Assessment)
            .where(or_(col(Assessment.started_by_id).in_(ids), col(Assessment.owner_id).in_(ids), col(Assessment.sponsor_id).in_(ids)))
            .where(Assessment.stage != Stage.ARCHIVED.value)
            .order_by(col(Assessment.updated_at).desc(), col(Assessment.id).desc())
            .limit(50)
        )
        return await self.db.run(lambda conn: [_listing(r) for r in orm(conn).exec(query).all()])

    async def history(self, *, assessment_id: int) -> list[Change]:
        """Every change to the assessment's answers, oldest first: the audit trail."""
        query = (
            select(AnswerChange, Person)
            .join(Person, col(Person.id) == col(AnswerChange.changed_by_id))
            .where(AnswerChange.assessment_id == assessment_id)
            .order_by(col(AnswerChange.id))
        )
        rows = await self.db.run(lambda conn: orm(conn).exec(query).all())
        return [Change(c.question, c.old_value, c.new_value, person_ref(p.external_id, p.name), c.changed_at) for c, p in rows]


def _apply(conn: Connection, *, applying: int | None, now: datetime) -> None:
    """Mark the inbox request applied in this transaction; AlreadyApplied (which rolls the transaction back) when it was before."""
    if applying is not None and not mark_applied(conn, id=applying, now=now):
        raise AlreadyApplied(applying)


def _columns(state: State, people: dict[str, int], *, card: Scorecard, gaps_before: dict[str, str], now: datetime) -> dict[str, Any]:
    """The assessment row's columns for a state, with its score (computed once per save) and gap ages."""
    owner = state.owner
    return {
        "project": state.project,  # renamed, at times
        "stage": state.stage.value,
        "cursor": state.cursor,
        "skipped": sorted(state.skipped),
        "pending": (
            {
                "question": state.pending.question,
                "values": dict(state.pending.values),
                "prompt": state.pending.prompt,
                "readings": [dict(r) for r in state.pending.readings],
            }
            if state.pending
            else None
        ),
        "sponsor_id": people[state.sponsor.key] if state.sponsor else None,
        "owner_id": people[owner.key] if owner else None,
        "finished_at": state.finished_at,
        "snoozed_until": state.snoozed_until,
        "answered": card.answered,
        "total": card.total,
        "level": card.level.value,
        "gaps": ",".join(card.gaps),
        "has_gaps": bool(card.gaps),
        # When each open gap opened: kept while it stays open, dropped once it closes.
        "gaps_since": {gap: gaps_before.get(gap, now.isoformat()) for gap in card.gaps},
    }


def _listing(r: Assessment) -> Listing:
    return Listing(
        id=r.id or 0,
        project=r.project,
        stage=Stage(r.stage),
        position=r.cursor + 1,
        answered=r.answered,
        percent=round(100 * r.total / TOTAL),
        level=r.level,
        gaps=tuple(g for g in r.gaps.split(",") if g),
    )
