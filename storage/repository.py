"""The assessment store in SQL: a few statements per turn, whatever the number of answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from conversations.machine import Answer as AnswerState
from conversations.digest import Project
from conversations.schedule import Settings, next_digest, valid_zone
from conversations.machine import Pending, Stage, State
from conversations.people import Person as PersonRef
from conversations.questions import TOTAL
from conversations.scoring import Scorecard, score
from conversations.service import Listing, Loaded, Place
from storage.reminders import settings_of
from storage.tables import Answer, AnswerChange, Assessment, HandledRequest, Person, Workspace


class SqlStore:
    """conversations.service.Store on SQLAlchemy: SQLite or PostgreSQL."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def session(self) -> AsyncSession:
        return AsyncSession(self.engine, expire_on_commit=False)

    async def create(self, *, place: Place, state: State, now: datetime) -> int:
        async with self.session() as session:
            workspace_id = await self._workspace(session, place=place, now=now)
            people = await self._people(session, workspace_id=workspace_id, people=[state.started_by, state.sponsor], now=now)
            row = Assessment(
                workspace_id=workspace_id,
                platform=place.platform,
                channel=place.channel,
                thread=place.thread,
                project=state.project,
                started_by_id=people[state.started_by.key],
                created_at=now,
                updated_at=now,
                next_reminder_at=now,
                **self._columns(state, people, card=score(state.values), gaps_before={}, now=now),
            )
            session.add(row)
            await session.flush()
            if state.sponsor is not None:
                await self._schedule_digest(session, person_id=people[state.sponsor.key], now=now)
            await session.commit()
            assert row.id is not None
            return row.id

    async def set_thread(self, *, assessment_id: int, thread: str) -> None:
        """Remember the thread an assessment lives in, once the platform has created it."""
        async with self.session() as session:
            await session.exec(update(Assessment).where(Assessment.id == assessment_id).values(thread=thread))
            await session.commit()

    async def load(self, *, assessment_id: int, workspace: str | None = None) -> Loaded | None:
        found = await self._load_where(Assessment.id == assessment_id, workspace=workspace)
        return found[0] if found else None

    async def load_all(self) -> list[Loaded]:
        """Every assessment with its answers (for export), in three statements."""
        return await self._load_where(None)

    async def _load_where(self, condition: Any, *, workspace: str | None = None) -> list[Loaded]:
        async with self.session() as session:
            query = select(Assessment, Workspace).join(Workspace, Workspace.id == Assessment.workspace_id)
            if condition is not None:
                query = query.where(condition)
            if workspace is not None:
                query = query.where(Workspace.external_id == workspace)
            found = (await session.exec(query.order_by(Assessment.id))).all()
            if not found:
                return []
            ids = [row.id for row, _ in found]
            answers = (
                await session.exec(
                    select(Answer, Person)
                    .join(Person, Person.id == Answer.answered_by_id)
                    .where(Answer.assessment_id.in_(ids))
                )
            ).all()
            wanted = {i for row, _ in found for i in (row.started_by_id, row.sponsor_id) if i is not None}
            people = {p.id: p for p in (await session.exec(select(Person).where(Person.id.in_(wanted)))).all()}
        by_assessment: dict[int, dict[str, AnswerState]] = {i: {} for i in ids}
        for a, p in answers:
            by_assessment[a.assessment_id][a.question] = AnswerState(values=a.value, by=_ref(p), at=a.answered_at)
        return [_loaded(row, ws, by_assessment[row.id], people) for row, ws in found]

    async def save(self, *, loaded: Loaded, state: State, now: datetime) -> bool:
        before = loaded.state.answers
        changed = [k for k in state.answers if before.get(k) != state.answers[k]]
        card = score(state.values)
        async with self.session() as session:
            workspace_id = loaded.workspace_id
            authors = [state.answers[k].by for k in changed]
            people = await self._people(session, workspace_id=workspace_id, people=[*authors, state.sponsor, state.owner], now=now)
            bumped = await session.exec(
                update(Assessment)
                .where(Assessment.id == loaded.id, Assessment.version == loaded.version)
                .values(
                    version=loaded.version + 1,
                    updated_at=now,
                    next_reminder_at=now,  # the scheduler looks again at anything that changed
                    **self._columns(state, people, card=card, gaps_before=loaded.gaps_since, now=now),
                )
            )
            if bumped.rowcount != 1:
                await session.rollback()
                return False
            if changed:
                await self._write_answers(session, loaded=loaded, state=state, changed=changed, people=people, card=card)
            if state.sponsor is not None and state.sponsor != loaded.state.sponsor:
                await self._schedule_digest(session, person_id=people[state.sponsor.key], now=now)
            await session.commit()
            return True

    @staticmethod
    async def _schedule_digest(session: AsyncSession, *, person_id: int, now: datetime) -> None:
        """A new sponsor: the digest pass picks them up, checks their zone and sets their first slot."""
        await session.exec(
            update(Person)
            .where(Person.id == person_id, Person.next_digest_at.is_(None))
            .values(next_digest_at=now, tz_checked_at=None)
        )

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
        history = [
            AnswerChange(
                assessment_id=loaded.id,
                question=k,
                old_value=dict(loaded.state.answers[k].values) if k in loaded.state.answers else None,
                new_value=dict(state.answers[k].values),
                changed_by_id=people[state.answers[k].by.key],
                changed_at=state.answers[k].at,
            )
            for k in changed
        ]
        session.add_all(history)

    async def listing(self, *, platform: str, workspace: str, unfinished_only: bool = False) -> list[Listing]:
        async with self.session() as session:
            query = (
                select(Assessment)
                .join(Workspace, Workspace.id == Assessment.workspace_id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace)
                .order_by(Assessment.updated_at.desc(), Assessment.id.desc())
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
                .join(Workspace, Workspace.id == Assessment.workspace_id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace, Assessment.channel == channel)
                .order_by(Assessment.created_at.desc(), Assessment.id.desc())
                .limit(1)
            )
            return (await session.exec(query)).first()

    async def for_person(self, *, platform: str, workspace: str, person: str) -> list[Listing]:
        """Assessments a person started, owns or sponsors."""
        async with self.session() as session:
            ids = select(Person.id).join(Workspace, Workspace.id == Person.workspace_id).where(
                Workspace.platform == platform, Workspace.external_id == workspace, Person.external_id == person
            )
            query = (
                select(Assessment)
                .where(or_(Assessment.started_by_id.in_(ids), Assessment.owner_id.in_(ids), Assessment.sponsor_id.in_(ids)))
                .order_by(Assessment.updated_at.desc(), Assessment.id.desc())
                .limit(50)
            )
            rows = (await session.exec(query)).all()
        return [_listing(r) for r in rows]

    async def delete_workspace(self, *, platform: str, workspace: str) -> bool:
        """Delete a workspace with its people, assessments, answers and history."""
        async with self.session() as session:
            deleted = await session.exec(
                delete(Workspace).where(Workspace.platform == platform, Workspace.external_id == workspace)
            )
            await session.commit()
            return deleted.rowcount > 0

    async def delete_assessment(self, *, assessment_id: int) -> None:
        async with self.session() as session:
            await session.exec(delete(Assessment).where(Assessment.id == assessment_id))
            await session.commit()

    async def claim(self, *, key: str, now: datetime) -> bool:
        """True the first time a delivery key is seen; False for a retry or a replay."""
        async with self.session() as session:
            inserted = await session.exec(
                self._insert(HandledRequest).values(key=key[:200], handled_at=now).on_conflict_do_nothing()
            )
            await session.commit()
            return inserted.rowcount == 1

    async def prune_handled(self, *, before: datetime) -> int:
        """Forget delivery keys older than Slack's retry window."""
        async with self.session() as session:
            deleted = await session.exec(delete(HandledRequest).where(HandledRequest.handled_at < before))
            await session.commit()
            return deleted.rowcount

    async def release(self, *, key: str) -> None:
        """Forget a delivery whose handling failed, so that Slack's retry is handled."""
        async with self.session() as session:
            await session.exec(delete(HandledRequest).where(HandledRequest.key == key[:200]))
            await session.commit()

    async def sponsored(self, *, person_ids: list[int]) -> dict[int, list[Project]]:
        """Every assessment each of these people sponsors, for their digests (a few statements in all)."""
        if not person_ids:
            return {}
        async with self.session() as session:
            rows = (
                await session.exec(
                    select(Assessment.id, Assessment.sponsor_id, Assessment.updated_at, Assessment.gaps_since, Assessment.digested_total)
                    .where(Assessment.sponsor_id.in_(person_ids))
                )
            ).all()
        if not rows:
            return {}
        loaded = {item.id: item for item in await self._load_where(Assessment.id.in_([r.id for r in rows]))}
        out: dict[int, list[Project]] = {}
        for r in rows:
            out.setdefault(r.sponsor_id, []).append(
                Project(id=r.id, state=loaded[r.id].state, last_activity=r.updated_at, gaps_since=dict(r.gaps_since or {}), previous_total=r.digested_total)
            )
        return out

    async def person_id(self, *, platform: str, workspace: str, person: str) -> int | None:
        async with self.session() as session:
            query = (
                select(Person.id)
                .join(Workspace, Workspace.id == Person.workspace_id)
                .where(Workspace.platform == platform, Workspace.external_id == workspace, Person.external_id == person)
            )
            return (await session.exec(query)).first()

    async def set_time_zone(self, *, platform: str, workspace: str, person: PersonRef, tz: str, now: datetime) -> None:
        """Remember a person's time zone as their client reported it (Teams sends it with each message)."""
        if not valid_zone(tz):
            return
        async with self.session() as session:
            workspace_id = await self._workspace(session, place=Place(platform=platform, workspace=workspace, channel=""), now=now)
            insert = self._insert(Person).values(
                workspace_id=workspace_id, external_id=person.key, name=person.name[:200], tz=tz, tz_checked_at=now, updated_at=now
            )
            await session.exec(
                insert.on_conflict_do_update(
                    index_elements=["workspace_id", "external_id"], set_={"tz": tz, "tz_checked_at": now}
                )
            )
            await session.commit()

    async def settings(self, *, platform: str, workspace: str) -> Settings:
        async with self.session() as session:
            query = select(Workspace).where(Workspace.platform == platform, Workspace.external_id == workspace)
            found = (await session.exec(query)).first()
        return settings_of(found) if found is not None else Settings()

    async def save_settings(self, *, platform: str, workspace: str, settings: Settings, now: datetime) -> None:
        """Store a workspace's settings and move its schedules to match."""
        place = Place(platform=platform, workspace=workspace, channel="")
        async with self.session() as session:
            workspace_id = await self._workspace(session, place=place, now=now)
            await session.exec(
                update(Workspace)
                .where(Workspace.id == workspace_id)
                .values(
                    tz=settings.tz,
                    nudge_every=settings.nudge_every,
                    nudge_at=settings.nudge_at.strftime("%H:%M"),
                    work_start=settings.work_start.strftime("%H:%M"),
                    work_end=settings.work_end.strftime("%H:%M"),
                    stall_hours=int(settings.stall_after.total_seconds() // 3600),
                    escalate_after=settings.escalate_after,
                    digest_weekday=settings.digest_weekday,
                    digest_at=settings.digest_at.strftime("%H:%M"),
                )
            )
            # Reminders: the scheduler looks again at every assessment that may still be reminded.
            await session.exec(
                update(Assessment)
                .where(Assessment.workspace_id == workspace_id, Assessment.next_reminder_at.is_not(None))
                .values(next_reminder_at=now)
            )
            sponsors = (
                await session.exec(select(Person).where(Person.workspace_id == workspace_id, Person.next_digest_at.is_not(None)))
            ).all()
            for person in sponsors:  # one row per sponsor of this workspace, usually a handful
                person.next_digest_at = next_digest(settings, tz=person.tz, after=now)
                session.add(person)
            await session.commit()

    async def history(self, *, assessment_id: int) -> list[AnswerChange]:
        async with self.session() as session:
            query = select(AnswerChange).where(AnswerChange.assessment_id == assessment_id).order_by(AnswerChange.id)
            return list((await session.exec(query)).all())

    @staticmethod
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

    async def _workspace(self, session: AsyncSession, *, place: Place, now: datetime) -> int:
        insert = self._insert(Workspace).values(platform=place.platform, external_id=place.workspace, created_at=now)
        upsert = insert.on_conflict_do_update(
            index_elements=["platform", "external_id"], set_={"platform": insert.excluded.platform}
        ).returning(Workspace.id)
        return (await session.exec(upsert)).scalar_one()

    async def _people(
        self, session: AsyncSession, *, workspace_id: int, people: Iterable[PersonRef | None], now: datetime
    ) -> dict[str, int]:
        """Insert or refresh everyone named, in one statement; returns their ids by key."""
        unique = {p.key: p for p in people if p is not None}
        if not unique:
            return {}
        rows = [{"workspace_id": workspace_id, "external_id": k, "name": p.name[:200], "updated_at": now} for k, p in unique.items()]
        insert = self._insert(Person).values(rows)
        upsert = insert.on_conflict_do_update(
            index_elements=["workspace_id", "external_id"],
            set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at},
        ).returning(Person.external_id, Person.id)
        return {external_id: pid for external_id, pid in (await session.exec(upsert)).all()}

    async def count(self, table: type) -> int:
        async with self.session() as session:
            return (await session.exec(select(func.count()).select_from(table))).one()


def _ref(person: Person) -> PersonRef:
    pid = None if person.external_id.startswith("name:") else person.external_id
    return PersonRef(name=person.name, id=pid)


def _loaded(row: Assessment, ws: Workspace, answers: dict[str, AnswerState], people: dict[int, Person]) -> Loaded:
    assert row.id is not None
    state = State(
        project=row.project,
        started_by=_ref(people[row.started_by_id]),
        started_at=row.created_at,
        stage=Stage(row.stage),
        cursor=row.cursor,
        answers=answers,
        skipped=frozenset(row.skipped),
        pending=Pending(**row.pending) if row.pending else None,
        sponsor=_ref(people[row.sponsor_id]) if row.sponsor_id else None,
        finished_at=row.finished_at,
        snoozed_until=row.snoozed_until,
    )
    place = Place(platform=row.platform, workspace=ws.external_id, channel=row.channel, thread=row.thread)
    return Loaded(
        id=row.id, state=state, version=row.version, place=place, gaps_since=dict(row.gaps_since or {}), workspace_id=row.workspace_id
    )


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
