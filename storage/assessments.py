"""Assessments in SQL: a few statements per turn, whatever the number of answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from conversations.machine import Stage, State
from conversations.ports import AlreadyApplied, Listing, Loaded, Place
from conversations.questions import TOTAL
from conversations.scoring import Scorecard, score
from storage.inbox import mark_applied
from storage.rows import SqlRepository, load_assessments, people_ids, workspace_id
from storage.tables import Answer, AnswerChange, Assessment, Person, Workspace


class SqlAssessments(SqlRepository):
    """conversations.ports.Assessments on SQLAlchemy."""

    async def create(self, *, place: Place, state: State, now: datetime, applying: int | None = None) -> int:
        """Store a new assessment; with `applying`, in the same transaction as marking that inbox request applied."""
        async with self.session() as session:
            await _apply(session, applying=applying, now=now)
            wid = await workspace_id(session, platform=place.platform, workspace=place.workspace, now=now)
            people = await people_ids(session, workspace_id=wid, people=[state.started_by, state.sponsor], now=now)
            row = Assessment(
                workspace_id=wid,
                platform=place.platform,
                channel=place.channel,
                thread=place.thread,
                project=state.project,
                started_by_id=people[state.started_by.key],
                created_at=now,
                updated_at=now,
                next_reminder_at=now,
                **_columns(state, people, card=score(state.values), gaps_before={}, now=now),
            )
            session.add(row)
            await session.flush()
            if state.sponsor is not None:
                await _schedule_digest(session, person_id=people[state.sponsor.key], now=now)
            await session.commit()
            assert row.id is not None
            return row.id

    async def load(self, *, assessment_id: int, workspace: str | None = None) -> Loaded | None:
        """With `workspace`, an assessment of any other workspace is not found."""
        async with self.session() as session:
            found = await load_assessments(session, col(Assessment.id) == assessment_id, workspace=workspace)
        return found[0] if found else None

    async def load_all(self) -> list[Loaded]:
        """Every assessment with its answers (for export), in three statements."""
        async with self.session() as session:
            return await load_assessments(session, None)

    async def save(self, *, loaded: Loaded, state: State, now: datetime, applying: int | None = None) -> bool:
        """Write `state` if the stored version is still `loaded.version`; False if someone else wrote first."""
        before = loaded.state.answers
        changed = [k for k in state.answers if before.get(k) != state.answers[k]]
        card = score(state.values)
        async with self.session() as session:
            await _apply(session, applying=applying, now=now)
            authors = [state.answers[k].by for k in changed]
            people = await people_ids(session, workspace_id=loaded.workspace_id, people=[*authors, state.sponsor, state.owner], now=now)
            bumped = await session.exec(
                update(Assessment)
                .where(col(Assessment.id) == loaded.id, col(Assessment.version) == loaded.version)
                .values(
                    version=loaded.version + 1,
                    updated_at=now,
                    next_reminder_at=now,  # the scheduler looks again at anything that changed
                    **_columns(state, people, card=card, gaps_before=loaded.gaps_since, now=now),
                )
            )
            if bumped.rowcount != 1:
                await session.rollback()
                return False
            if changed:
                await self._write_answers(session, loaded=loaded, state=state, changed=changed, people=people, card=card)
            if state.sponsor is not None and state.sponsor != loaded.state.sponsor:
                await _schedule_digest(session, person_id=people[state.sponsor.key], now=now)
            await session.commit()
            return True

    async def _write_answers(
        self, session: AsyncSession, *, loaded: Loaded, state: State, changed: list[str], people: dict[str, int], card: Scorecard
    ) -> None:
        rows = [
            {
                "assessment_id": loaded.id,
                "question": k,
                "value": dict(state.answers[k].values),
                "score": card.scores[k],
                "answered_by_id": people[state.answers[k].by.key],
                "answered_at": state.answers[k].at,
            }
            for k in changed
        ]
        insert = self._insert(Answer).values(rows)
        await session.exec(
            insert.on_conflict_do_update(
                index_elements=["assessment_id", "question"],
                set_={c: insert.excluded[c] for c in ("value", "score", "answered_by_id", "answered_at")},
            )
        )
        session.add_all(
            AnswerChange(
                assessment_id=loaded.id,
                question=k,
                old_value=dict(loaded.state.answers[k].values) if k in loaded.state.answers else None,
                new_value=dict(state.answers[k].values),
                changed_by_id=people[state.answers[k].by.key],
                changed_at=state.answers[k].at,
            )
            for k in changed
        )

    async def set_thread(self, *, assessment_id: int, thread: str) -> None:
        """Remember the thread an assessment lives in, once the platform has created it."""
        async with self.session() as session:
            await session.exec(update(Assessment).where(col(Assessment.id) == assessment_id).values(thread=thread))
            await session.commit()

    async def delete_assessment(self, *, assessment_id: int) -> None:
        """Delete an assessment with its answers, history and deliveries."""
        async with self.session() as session:
            await session.exec(delete(Assessment).where(col(Assessment.id) == assessment_id))
            await session.commit()

    async def listing(self, *, platform: str, workspace: str, unfinished_only: bool = False) -> list[Listing]:
        """A workspace's assessments, the most recently changed first."""
        async with self.session() as session:
            query = (
                select(Assessment)
                .join(Workspace, col(Workspace.id) == Assessment.workspace_id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace)
                .order_by(col(Assessment.updated_at).desc(), col(Assessment.id).desc())
            )
            if unfinished_only:
                query = query.where(Assessment.stage != Stage.FINISHED.value)
            rows = (await session.exec(query)).all()
        return [_listing(r) for r in rows]

    async def latest_in_channel(self, *, platform: str, workspace: str, channel: str) -> int | None:
        """The assessment most recently started in a channel."""
        async with self.session() as session:
            query = (
                select(Assessment.id)
                .join(Workspace, col(Workspace.id) == Assessment.workspace_id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace, Assessment.channel == channel)
                .order_by(col(Assessment.created_at).desc(), col(Assessment.id).desc())
                .limit(1)
            )
            return (await session.exec(query)).first()

    async def for_person(self, *, platform: str, workspace: str, person: str) -> list[Listing]:
        """Assessments a person started, owns or sponsors (the 50 most recently changed)."""
        async with self.session() as session:
            ids = (
                select(Person.id)
                .join(Workspace, col(Workspace.id) == Person.workspace_id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace, Person.external_id == person)
            )
            query = (
                select(Assessment)
                .where(or_(col(Assessment.started_by_id).in_(ids), col(Assessment.owner_id).in_(ids), col(Assessment.sponsor_id).in_(ids)))
                .order_by(col(Assessment.updated_at).desc(), col(Assessment.id).desc())
                .limit(50)
            )
            rows = (await session.exec(query)).all()
        return [_listing(r) for r in rows]

    async def history(self, *, assessment_id: int) -> list[AnswerChange]:
        """Every change to the assessment's answers, oldest first: the audit trail."""
        async with self.session() as session:
            query = select(AnswerChange).where(AnswerChange.assessment_id == assessment_id).order_by(col(AnswerChange.id))
            return list((await session.exec(query)).all())


async def _apply(session: AsyncSession, *, applying: int | None, now: datetime) -> None:
    """Mark the inbox request applied in this transaction, or undo it and raise AlreadyApplied."""
    if applying is not None and not await mark_applied(session, id=applying, now=now):
        await session.rollback()
        raise AlreadyApplied(applying)


async def _schedule_digest(session: AsyncSession, *, person_id: int, now: datetime) -> None:
    """A new sponsor: the digest pass picks them up, checks their zone and sets their first slot."""
    await session.exec(
        update(Person)
        .where(col(Person.id) == person_id, col(Person.next_digest_at).is_(None))
        .values(next_digest_at=now, tz_checked_at=None)
    )


def _columns(state: State, people: dict[str, int], *, card: Scorecard, gaps_before: dict[str, str], now: datetime) -> dict[str, Any]:
    """The assessment row's columns for a state, with its score (computed once per save) and gap ages."""
    owner = state.owner
    return {
        "stage": state.stage.value,
        "cursor": state.cursor,
        "skipped": sorted(state.skipped),
        "pending": (
            {"question": state.pending.question, "values": dict(state.pending.values), "prompt": state.pending.prompt}
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
