"""The delivery outbox in SQL (conversations.ports.Deliveries): claiming due work, queueing, and delivery results.

Work is claimed with the one claim statement of storage/queue.py, which pushes the row's due time
out by a lease; on PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so replicas running the
scheduler at the same moment never take the same row. Every delivery has a unique key, so a pass
that runs twice delivers once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from conversations.people import Person as PersonRef
from conversations.ports import DELIVERY_LEASE, DeliveryOutcome, DueSponsor, Outgoing
from conversations.reminders import Candidate, Notice, Planned, Rescheduled, Target, Touched
from conversations.schedule import Facts
from storage.queue import claim as claim_rows
from storage.rows import SqlRepository, person_ref, settings_of
from storage.tables import AnswerChange, Assessment, Person, Reminder, Workspace

__all__ = ["LEASE", "DueSponsor", "Outcome", "Outgoing", "ReminderStore", "settings_of"]
LEASE = DELIVERY_LEASE
Outcome = DeliveryOutcome  # the old name, still imported by bot/scheduler.py


class ReminderStore(SqlRepository):
    """conversations.ports.Deliveries on SQLAlchemy."""

    async def claim_assessments(self, *, now: datetime, platforms: Sequence[str], limit: int, lease: bool = True) -> list[Candidate]:
        """Assessments whose next look is due, leased to this pass (only read, without `lease`), with all the planner needs."""
        due = (
            select(col(Assessment.id))
            .where(col(Assessment.next_reminder_at) <= now, col(Assessment.platform).in_(platforms))
            .order_by(col(Assessment.next_reminder_at))
            .limit(limit)
        )

        def claim(conn: Connection) -> list[Candidate]:
            ids = _due_ids(conn, table=Assessment, due=due, lease={"next_reminder_at": now + LEASE} if lease else None)
            if not ids:
                return []
            orm = Session(bind=conn)
            rows = orm.execute(
                select(Assessment, Workspace)
                .join(Workspace, col(Workspace.id) == Assessment.workspace_id)
                .where(col(Assessment.id).in_(ids))
            ).all()
            person_ids = {i for a, _ in rows for i in (a.started_by_id, a.sponsor_id, a.owner_id) if i}
            found = orm.execute(select(Person).where(col(Person.id).in_(person_ids))).scalars()
            people = {p.id: p for p in found if p.id is not None}
            touched = _touched(conn, ids)
            return [_candidate(a, w, people, touched.get(a.id or 0, ())) for a, w in rows]

        return await self.db.run(claim)

    async def zones_to_find(self, *, platforms: Sequence[str], limit: int) -> list[tuple[str, str, PersonRef]]:
        """Workspaces whose zone was never looked for, each with the first person to start a check there to ask about."""
        first: Any = (
            select(col(Workspace.platform), col(Workspace.external_id), col(Person.external_id).label("person"), col(Person.name))
            .join(Assessment, col(Assessment.workspace_id) == col(Workspace.id))
            .join(Person, col(Person.id) == col(Assessment.started_by_id))
            .where(col(Workspace.tz_source).is_(None), col(Workspace.platform).in_(platforms))
            .order_by(col(Workspace.id), col(Assessment.id))
            .limit(limit * 5)
        )
        found: dict[tuple[str, str], PersonRef] = {}
        for row in await self.db.run(lambda conn: conn.execute(first).all()):
            found.setdefault((row.platform, row.external_id), person_ref(row.person, row.name))
        return [(platform, workspace, person) for (platform, workspace), person in list(found.items())[:limit]]

    async def record(self, *, planned: Sequence[Planned], rescheduled: Sequence[Rescheduled], now: datetime) -> int:
        """Put the planned notices in the outbox (once per key) and write the new schedule. Returns how many were new."""

        def record(conn: Connection) -> int:
            new = self._enqueue(conn, planned, now=now)
            if rescheduled:
                conn.execute(
                    update(Assessment)
                    .where(col(Assessment.id) == bindparam("b_id"), col(Assessment.next_reminder_at) == bindparam("b_lease"))
                    .values(
                        next_reminder_at=bindparam("b_next"),
                        last_reminded_at=bindparam("b_last"),
                        reminders_since_change=bindparam("b_count"),
                        escalated=bindparam("b_escalated"),
                        reminded_gaps=bindparam("b_reminded"),
                    ),
                    [
                        {
                            "b_id": r.id,
                            "b_lease": now + LEASE,
                            "b_next": r.next_at,
                            "b_last": r.facts.last_reminded,
                            "b_count": r.facts.reminders_since_change,
                            "b_escalated": r.facts.escalated,
                            "b_reminded": ",".join(r.facts.reminded_gaps),
                        }
                        for r in rescheduled
                    ],
                )
            return new

        return await self.db.run(record)

    def _enqueue(self, conn: Connection, planned: Iterable[Planned], *, now: datetime) -> int:
        """Queue the notices whose keys are new; how many were."""
        rows = [
            {
                "key": p.key,
                "kind": p.kind.value,
                "workspace_id": p.workspace_id,
                "assessment_id": p.assessment_id,
                "person_id": p.person_id,
                "platform": p.target.platform,
                "target": {
                    "workspace": p.target.workspace,
                    "channel": p.target.channel,
                    "thread": p.target.thread,
                    "person": p.target.person,
                },
                "notice": p.notice.to_json(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for p in planned
        ]
        if not rows:
            return 0
        result = conn.execute(self._insert(Reminder).values(rows).on_conflict_do_nothing(index_elements=["key"]))
        return result.rowcount

    async def claim_outbox(self, *, now: datetime, limit: int, lease: bool = True) -> list[Outgoing]:
        """Deliveries due now (new, to retry, or abandoned by a crashed sender), leased to this pass (only read, without `lease`)."""
        due = (
            select(col(Reminder.id))
            .where(col(Reminder.status).in_(("pending", "sending")), col(Reminder.next_attempt_at) <= now)
            .order_by(col(Reminder.id))
            .limit(limit)
        )
        returning = (Reminder.key, Reminder.platform, Reminder.target, Reminder.notice, Reminder.attempts)

        def claim(conn: Connection) -> Sequence[Any]:
            if lease:
                return claim_rows(
                    conn, table=Reminder, due=due, lease={"status": "sending", "next_attempt_at": now + LEASE}, returning=returning
                )
            peek: Any = select(col(Reminder.id), *returning)  # type: ignore[call-overload]
            return conn.execute(peek.where(col(Reminder.id).in_(due.scalar_subquery()))).all()

        rows = await self.db.run(claim)
        return [
            Outgoing(
                id=r.id,
                key=r.key,
                platform=r.platform,
                target=Target(
                    platform=r.platform,
                    workspace=r.target["workspace"],
                    channel=r.target.get("channel"),
                    thread=r.target.get("thread"),
                    person=r.target.get("person"),
                ),
                notice=Notice.from_json(r.notice),
                attempts=r.attempts,
            )
            for r in sorted(rows, key=lambda r: r.id)
        ]

    async def keep(self, *, ids: Sequence[int], until: datetime) -> None:
        if not ids:
            return
        statement = update(Reminder).where(col(Reminder.id).in_(list(ids)), col(Reminder.status) == "sending").values(next_attempt_at=until)
        await self.db.run(lambda conn: conn.execute(statement).rowcount)

    async def finish(self, *, outcomes: Sequence[DeliveryOutcome], now: datetime) -> None:
        """Record how each send went; one more attempt each."""
        if not outcomes:
            return
        statement = (
            update(Reminder)
            .where(col(Reminder.id) == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                error=bindparam("b_error"),
                next_attempt_at=bindparam("b_next"),
                attempts=Reminder.attempts + 1,
                sent_at=bindparam("b_sent"),
            )
        )
        rows = [
            {
                "b_id": o.id,
                "b_status": o.status,
                "b_error": (o.error or "")[:300] or None,
                "b_next": o.next_attempt_at or now,
                "b_sent": now if o.status == "sent" else None,
            }
            for o in outcomes
        ]
        await self.db.run(lambda conn: conn.execute(statement, rows).rowcount)

    # -- digests -----------------------------------------------------------------

    async def claim_sponsors(self, *, now: datetime, platforms: Sequence[str], limit: int, lease: bool = True) -> list[DueSponsor]:
        """Sponsors whose digest is due, leased to this pass (only read, without `lease`)."""
        due = (
            select(col(Person.id))
            .join(Workspace, col(Workspace.id) == Person.workspace_id)
            .where(col(Person.next_digest_at) <= now, col(Workspace.platform).in_(platforms))
            .order_by(col(Person.next_digest_at))
            .limit(limit)
        )

        def claim(conn: Connection) -> list[DueSponsor]:
            ids = _due_ids(conn, table=Person, due=due, lease={"next_digest_at": now + LEASE} if lease else None)
            if not ids:
                return []
            rows = Session(bind=conn).execute(
                select(Person, Workspace).join(Workspace, col(Workspace.id) == Person.workspace_id).where(col(Person.id).in_(ids))
            )
            return [_due_sponsor(p, w) for p, w in rows.all()]

        return await self.db.run(claim)

    async def record_digests(
        self,
        *,
        planned: Sequence[Planned],
        schedule: Mapping[int, tuple[datetime | None, str | None, datetime | None]],
        digested: Mapping[int, float],
        now: datetime,
    ) -> int:
        """Queue digests; write each sponsor's next slot and time zone, and each project's score as digested."""

        def record(conn: Connection) -> int:
            new = self._enqueue(conn, planned, now=now)
            if schedule:
                conn.execute(
                    update(Person)
                    .where(col(Person.id) == bindparam("b_id"))
                    .values(next_digest_at=bindparam("b_next"), tz=bindparam("b_tz"), tz_checked_at=bindparam("b_checked")),
                    [{"b_id": pid, "b_next": nxt, "b_tz": tz, "b_checked": checked} for pid, (nxt, tz, checked) in schedule.items()],
                )
            if digested:
                conn.execute(
                    update(Assessment).where(col(Assessment.id) == bindparam("b_id")).values(digested_total=bindparam("b_total")),
                    [{"b_id": aid, "b_total": total} for aid, total in digested.items()],
                )
            return new

        return await self.db.run(record)

    async def outbox(self) -> list[Reminder]:
        """Every delivery, oldest first (for tests and inspection)."""
        return await self.db.run(lambda conn: list(Session(bind=conn).execute(select(Reminder).order_by(col(Reminder.id))).scalars()))


def _due_ids(conn: Connection, *, table: Any, due: Any, lease: Mapping[str, Any] | None) -> list[int]:
    """The ids `due` selects: leased (the one claim statement) with a `lease`, only read without one."""
    if lease is None:
        return list(conn.execute(due).scalars())
    return [row.id for row in claim_rows(conn, table=table, due=due, lease=lease)]


def _due_sponsor(person: Person, ws: Workspace) -> DueSponsor:
    assert person.id is not None and ws.id is not None
    return DueSponsor(
        id=person.id,
        external_id=person.external_id,
        name=person.name,
        tz=person.tz,
        tz_checked_at=person.tz_checked_at,
        platform=ws.platform,
        workspace=ws.external_id,
        workspace_id=ws.id,
        settings=settings_of(ws),
    )


def _touched(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Touched, ...]]:
    """The answers changed since each assessment's last reminder, oldest first (one statement)."""
    query = (
        select(
            col(AnswerChange.assessment_id),
            col(AnswerChange.question),
            col(AnswerChange.changed_at),
            col(Person.external_id),
            col(Person.name),
        )
        .join(Person, col(Person.id) == col(AnswerChange.changed_by_id))
        .join(Assessment, col(Assessment.id) == col(AnswerChange.assessment_id))
        .where(
            col(AnswerChange.assessment_id).in_(list(ids)),
            col(Assessment.last_reminded_at).is_not(None),
            col(AnswerChange.changed_at) > col(Assessment.last_reminded_at),
        )
        .order_by(col(AnswerChange.id))
    )
    out: dict[int, list[Touched]] = {}
    for r in conn.execute(query).all():
        out.setdefault(r.assessment_id, []).append(Touched(r.question, person_ref(r.external_id, r.name), r.changed_at))
    return {aid: tuple(items) for aid, items in out.items()}


def _candidate(row: Assessment, ws: Workspace, people: dict[int, Person], touched: Sequence[Touched] = ()) -> Candidate:
    def ref(person_id: int | None) -> PersonRef | None:
        p = people.get(person_id) if person_id else None
        return person_ref(p.external_id, p.name) if p is not None else None

    gaps = tuple(g for g in row.gaps.split(",") if g)
    facts = Facts(
        finished=row.stage == "finished",
        gaps=gaps,
        last_activity=row.updated_at,
        has_sponsor=row.sponsor_id is not None,
        snoozed_until=row.snoozed_until,
        last_reminded=row.last_reminded_at,
        reminders_since_change=row.reminders_since_change,
        escalated=row.escalated,
        reminded_gaps=tuple(g for g in row.reminded_gaps.split(",") if g),
    )
    assert row.id is not None
    started_by = ref(row.started_by_id)
    assert started_by is not None
    return Candidate(
        id=row.id,
        workspace_id=row.workspace_id,
        project=row.project,
        facts=facts,
        settings=settings_of(ws),
        target=Target(platform=row.platform, workspace=ws.external_id, channel=row.channel, thread=row.thread),
        answered=row.answered,
        position=row.cursor + 1,
        started_by=started_by,
        owner=ref(row.owner_id),
        sponsor=ref(row.sponsor_id),
        gaps_since=dict(row.gaps_since or {}),
        touched=tuple(touched),
    )
