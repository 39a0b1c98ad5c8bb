"""Workspaces in SQL: their settings, the people in them, and deleting one with all it holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, update
from sqlmodel import col, select

from conversations.people import Person as PersonRef
from conversations.ports import Loaded, Project
from conversations.schedule import Settings, next_digest, valid_zone
from storage.rows import SqlRepository, load_assessments, orm, settings_of, workspace_id
from storage.tables import Assessment, Person, Workspace


class SqlWorkspaces(SqlRepository):
    """conversations.ports.Workspaces on SQLAlchemy."""

    async def settings(self, *, platform: str, workspace: str) -> Settings:
        """A workspace's reminder and digest settings; the defaults for a workspace never seen."""
        query = select(Workspace).where(Workspace.platform == platform, Workspace.external_id == workspace)
        found = await self.db.run(lambda conn: orm(conn).exec(query).first())
        return settings_of(found) if found is not None else Settings()

    async def save_settings(self, *, platform: str, workspace: str, settings: Settings, now: datetime) -> None:
        """Store a workspace's settings and move its schedules to match."""

        def save(conn: Connection) -> None:
            session = orm(conn)
            wid = workspace_id(conn, platform=platform, workspace=workspace, now=now)
            session.exec(
                update(Workspace)
                .where(col(Workspace.id) == wid)
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
                    stop_after=settings.stop_after,
                    tz_source=settings.tz_source,
                    tz_by=settings.tz_by and settings.tz_by[:200],
                )
            )
            # Reminders: the scheduler looks again at every assessment that may still be reminded.
            session.exec(
                update(Assessment)
                .where(col(Assessment.workspace_id) == wid, col(Assessment.next_reminder_at).is_not(None))
                .values(next_reminder_at=now)
            )
            sponsors = session.exec(select(Person).where(Person.workspace_id == wid, col(Person.next_digest_at).is_not(None))).all()
            for person in sponsors:  # one row per sponsor of this workspace, usually a handful
                person.next_digest_at = next_digest(settings, tz=person.tz, after=now)
                session.add(person)
            session.flush()

        await self.db.run(save)

    async def adopt_zone(self, *, platform: str, workspace: str, tz: str | None, by: str | None, now: datetime) -> bool:
        """Take a zone from the platform when none was chosen (see the port); whether the workspace's zone changed."""
        if tz is not None and not valid_zone(tz):
            return False
        # Nothing chosen yet; a zone found on the platform also replaces the "nobody's zone was known" default.
        open_to = [col(Workspace.tz_source).is_(None)] + ([col(Workspace.tz_source) == "default"] if tz is not None else [])
        values = {"tz": tz, "tz_source": "platform", "tz_by": (by or "")[:200] or None} if tz else {"tz_source": "default"}

        def adopt(conn: Connection) -> bool:
            wid = workspace_id(conn, platform=platform, workspace=workspace, now=now)
            changed = conn.execute(update(Workspace).where(col(Workspace.id) == wid, or_(*open_to)).values(**values))
            if tz is not None and changed.rowcount:
                conn.execute(  # reminders counted in the old zone are looked at again in the new one
                    update(Assessment)
                    .where(col(Assessment.workspace_id) == wid, col(Assessment.next_reminder_at).is_not(None))
                    .values(next_reminder_at=now)
                )
            return bool(tz is not None and changed.rowcount)

        return await self.db.run(adopt)

    async def delete_workspace(self, *, platform: str, workspace: str) -> bool:
        """Delete a workspace with its people, assessments, answers, history, deliveries and Teams references."""
        statement = delete(Workspace).where(col(Workspace.platform) == platform, col(Workspace.external_id) == workspace)
        return await self.db.run(lambda conn: conn.execute(statement).rowcount > 0)

    async def person_id(self, *, platform: str, workspace: str, person: str) -> int | None:
        """The store's id of a person (by platform id, or "name:<name>"), if they have been seen."""
        query = (
            select(Person.id)
            .join(Workspace, col(Workspace.id) == Person.workspace_id)
            .where(Workspace.platform == platform, Workspace.external_id == workspace, Person.external_id == person)
        )
        return await self.db.run(lambda conn: orm(conn).exec(query).first())

    async def set_time_zone(self, *, platform: str, workspace: str, person: PersonRef, tz: str, now: datetime) -> None:
        """Remember a person's time zone as their client reported it (Teams sends it with each message)."""
        if not valid_zone(tz):
            return

        def remember(conn: Connection) -> None:
            wid = workspace_id(conn, platform=platform, workspace=workspace, now=now)
            insert = self._insert(Person).values(
                workspace_id=wid, external_id=person.key, name=person.name[:200], tz=tz, tz_checked_at=now, updated_at=now
            )
            conn.execute(
                insert.on_conflict_do_update(index_elements=["workspace_id", "external_id"], set_={"tz": tz, "tz_checked_at": now})
            )

        await self.db.run(remember)

    async def sponsored(self, *, person_ids: list[int]) -> dict[int, list[Project]]:
        """Every assessment each of these people sponsors, for their digests (a few statements in all)."""
        if not person_ids:
            return {}

        def read(conn: Connection) -> tuple[Sequence[Any], dict[int, Loaded]]:
            # Seven columns, and sqlmodel's select() is typed for at most four (fastapi/sqlmodel#271).
            columns = select(  # type: ignore[call-overload]
                Assessment.id,
                Assessment.sponsor_id,
                Assessment.updated_at,
                Assessment.gaps_since,
                Assessment.digested_total,
                Assessment.reminders_since_change,
                Assessment.last_reminded_at,
            )
            query = columns.where(col(Assessment.sponsor_id).in_(person_ids), col(Assessment.stage) != "archived").order_by(
                col(Assessment.id)
            )
            rows = orm(conn).exec(query).all()
            ids = [aid for aid, *_ in rows]
            return rows, {item.id: item for item in load_assessments(conn, col(Assessment.id).in_(ids))} if rows else {}

        rows, loaded = await self.db.run(read)
        out: dict[int, list[Project]] = {}
        for aid, sponsor_id, updated_at, gaps_since, digested_total, reminded, last_reminded in rows:
            out.setdefault(sponsor_id, []).append(
                Project(
                    id=aid,
                    state=loaded[aid].state,
                    last_activity=updated_at,
                    gaps_since=dict(gaps_since or {}),
                    previous_total=digested_total,
                    unanswered=reminded if last_reminded is not None and last_reminded >= updated_at else 0,
                )
            )
        return out
