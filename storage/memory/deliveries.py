"""The delivery outbox in memory: the scheduler's queues over the shared tables, leased as in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from conversations.machine import Stage
from conversations.people import Person
from conversations.ports import DELIVERY_LEASE, DeliveryOutcome, DueSponsor, Outgoing
from conversations.reminders import Candidate, Notice, Planned, Rescheduled, Target, Touched
from conversations.schedule import Facts
from conversations.scoring import score
from storage.memory.tables import AssessmentRow, DeliveryRow, Tables, round_trip

ERROR_LENGTH = 300


class MemoryDeliveries:
    """conversations.ports.Deliveries in memory (storage.reminders.ReminderStore's twin in behaviour)."""

    def __init__(self, *, tables: Tables | None = None) -> None:
        self.tables = tables or Tables()

    async def claim_assessments(self, *, now: datetime, platforms: Sequence[str], limit: int, lease: bool = True) -> list[Candidate]:
        """Assessments whose next look is due, leased to this pass (only read, without `lease`), with all the planner needs."""
        await round_trip()
        rows = self.tables.assessments.values()
        due = [r for r in rows if r.next_reminder_at is not None and r.next_reminder_at <= now and r.place.platform in platforms]
        due = sorted(due, key=lambda r: (r.next_reminder_at, r.id))[:limit]
        for row in due if lease else ():
            row.next_reminder_at = now + DELIVERY_LEASE
        return [self._candidate(r) for r in due]

    async def zones_to_find(self, *, platforms: Sequence[str], limit: int) -> list[tuple[str, str, Person]]:
        """Workspaces whose zone was never looked for, each with the first person to start a check there to ask about."""
        t, found = self.tables, dict[tuple[str, str], Person]()
        for _, row in sorted(t.assessments.items()):
            ws = t.workspaces[row.workspace_id]
            if ws.settings.tz_source is None and ws.platform in platforms:
                found.setdefault((ws.platform, ws.external_id), t.ref(row.started_by_id))
        return [(platform, workspace, person) for (platform, workspace), person in list(found.items())[:limit]]

    async def record(self, *, planned: Sequence[Planned], rescheduled: Sequence[Rescheduled], now: datetime) -> int:
        """Put the planned notices in the outbox (once per key) and write the new schedule. Returns how many were new."""
        new = self._enqueue(planned, now=now)
        for r in rescheduled:
            row = self.tables.assessments.get(r.id)
            if row is not None and row.next_reminder_at == now + DELIVERY_LEASE:  # still ours: nothing changed it meanwhile
                row.next_reminder_at, row.last_reminded_at = r.next_at, r.facts.last_reminded
                row.reminders_since_change, row.escalated = r.facts.reminders_since_change, r.facts.escalated
                row.reminded_gaps = r.facts.reminded_gaps
        return new

    def _enqueue(self, planned: Iterable[Planned], *, now: datetime) -> int:
        """Queue the notices whose keys are new; how many were."""
        known = {d.key for d in self.tables.deliveries.values()}
        new = 0
        for p in planned:
            if p.key in known:
                continue
            target = {"workspace": p.target.workspace, "channel": p.target.channel, "thread": p.target.thread, "person": p.target.person}
            row = DeliveryRow(
                id=self.tables.new_id("reminder"),
                key=p.key,
                kind=p.kind.value,
                workspace_id=p.workspace_id,
                assessment_id=p.assessment_id,
                person_id=p.person_id,
                platform=p.target.platform,
                target=target,
                notice=p.notice.to_json(),
                next_attempt_at=now,
                created_at=now,
            )
            self.tables.deliveries[row.id] = row
            known.add(p.key)
            new += 1
        return new

    async def claim_outbox(self, *, now: datetime, limit: int, lease: bool = True) -> list[Outgoing]:
        """Deliveries due now (new, to retry, or abandoned by a crashed sender), leased to this pass (only read, without `lease`)."""
        await round_trip()
        due = [d for _, d in sorted(self.tables.deliveries.items()) if d.status in ("pending", "sending") and d.next_attempt_at <= now]
        for d in due[:limit] if lease else ():
            d.status, d.next_attempt_at = "sending", now + DELIVERY_LEASE
        return [
            Outgoing(
                id=d.id,
                key=d.key,
                platform=d.platform,
                notice=Notice.from_json(d.notice),
                attempts=d.attempts,
                target=Target(
                    platform=d.platform,
                    workspace=d.target["workspace"],
                    channel=d.target.get("channel"),
                    thread=d.target.get("thread"),
                    person=d.target.get("person"),
                ),
            )
            for d in due[:limit]
        ]

    async def keep(self, *, ids: Sequence[int], until: datetime) -> None:
        await round_trip()
        for i in ids:
            d = self.tables.deliveries.get(i)
            if d is not None and d.status == "sending":
                d.next_attempt_at = until

    async def finish(self, *, outcomes: Sequence[DeliveryOutcome], now: datetime) -> None:
        """Record how each send went; one more attempt each."""
        for o in outcomes:
            d = self.tables.deliveries.get(o.id)
            if d is None:
                continue
            d.status, d.error, d.next_attempt_at = o.status, (o.error or "")[:ERROR_LENGTH] or None, o.next_attempt_at or now
            d.attempts, d.sent_at = d.attempts + 1, now if o.status == "sent" else None

    async def claim_sponsors(self, *, now: datetime, platforms: Sequence[str], limit: int, lease: bool = True) -> list[DueSponsor]:
        """Sponsors whose digest is due, leased to this pass (only read, without `lease`)."""
        await round_trip()
        t = self.tables
        due = [
            p
            for p in t.people.values()
            if p.next_digest_at is not None and p.next_digest_at <= now and t.workspaces[p.workspace_id].platform in platforms
        ]
        due = sorted(due, key=lambda p: (p.next_digest_at, p.id))[:limit]
        for p in due if lease else ():
            p.next_digest_at = now + DELIVERY_LEASE
        return [
            DueSponsor(
                id=p.id,
                external_id=p.key,
                name=p.name,
                tz=p.tz,
                tz_checked_at=p.tz_checked_at,
                platform=w.platform,
                workspace=w.external_id,
                workspace_id=w.id,
                settings=w.settings,
            )
            for p in due
            for w in (t.workspaces[p.workspace_id],)
        ]

    async def record_digests(
        self,
        *,
        planned: Sequence[Planned],
        schedule: Mapping[int, tuple[datetime | None, str | None, datetime | None]],
        digested: Mapping[int, float],
        now: datetime,
    ) -> int:
        """Queue digests; write each sponsor's next slot and time zone, and each project's score as digested."""
        new = self._enqueue(planned, now=now)
        for pid, (following, tz, checked) in schedule.items():
            if (person := self.tables.people.get(pid)) is not None:
                person.next_digest_at, person.tz, person.tz_checked_at = following, tz, checked
        for aid, total in digested.items():
            if (row := self.tables.assessments.get(aid)) is not None:
                row.digested_total = total
        return new

    async def outbox(self) -> list[DeliveryRow]:
        """Every delivery, oldest first (for tests and inspection)."""
        return [replace(d) for _, d in sorted(self.tables.deliveries.items())]

    def _candidate(self, row: AssessmentRow) -> Candidate:
        t, state, card = self.tables, row.state, score(row.state.values)
        ws = t.workspaces[row.workspace_id]
        facts = Facts(
            finished=state.stage is Stage.FINISHED,
            gaps=tuple(card.gaps),
            last_activity=row.updated_at,
            has_sponsor=row.sponsor_id is not None,
            snoozed_until=state.snoozed_until,
            last_reminded=row.last_reminded_at,
            reminders_since_change=row.reminders_since_change,
            escalated=row.escalated,
            reminded_gaps=row.reminded_gaps,
        )
        last = row.last_reminded_at
        touched = tuple(
            Touched(c.question, t.ref(c.changed_by_id), c.changed_at)
            for c in t.history
            if c.assessment_id == row.id and last is not None and c.changed_at > last
        )
        return Candidate(
            id=row.id,
            workspace_id=row.workspace_id,
            project=state.project,
            facts=facts,
            settings=ws.settings,
            target=Target(platform=row.place.platform, workspace=ws.external_id, channel=row.place.channel, thread=row.place.thread),
            answered=card.answered,
            position=state.cursor + 1,
            started_by=t.ref(row.started_by_id),
            owner=t.ref(row.owner_id) if row.owner_id is not None else None,
            sponsor=t.ref(row.sponsor_id) if row.sponsor_id is not None else None,
            gaps_since=dict(row.gaps_since),
            touched=touched,
        )
