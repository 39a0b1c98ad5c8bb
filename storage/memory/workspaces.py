"""Workspaces in memory: their settings, the people in them, and deleting one with all it holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from conversations.people import Person
from conversations.ports import Project
from conversations.schedule import Settings, next_digest, valid_zone
from storage.memory.tables import Tables


class MemoryWorkspaces:
    """conversations.ports.Workspaces in memory."""

    def __init__(self, *, tables: Tables | None = None) -> None:
        self.tables = tables or Tables()

    async def settings(self, *, platform: str, workspace: str) -> Settings:
        """A workspace's reminder and digest settings; the defaults for a workspace never seen."""
        ws = self.tables.workspace(platform, workspace)
        return ws.settings if ws is not None else Settings()

    async def save_settings(self, *, platform: str, workspace: str, settings: Settings, now: datetime) -> None:
        """Store a workspace's settings and move its schedules to match."""
        ws = self.tables.upsert_workspace(platform, workspace)
        ws.settings = settings
        for row in self.tables.assessments.values():
            if row.workspace_id == ws.id and row.next_reminder_at is not None:
                row.next_reminder_at = now  # the scheduler looks again at every assessment that may still be reminded
        for person in self.tables.people.values():
            if person.workspace_id == ws.id and person.next_digest_at is not None:
                person.next_digest_at = next_digest(settings, tz=person.tz, after=now)

    async def adopt_zone(self, *, platform: str, workspace: str, tz: str | None, by: str | None, now: datetime) -> bool:
        """Take a zone from the platform when none was chosen (see the port); whether the workspace's zone changed."""
        if tz is not None and not valid_zone(tz):
            return False
        ws = self.tables.upsert_workspace(platform, workspace)
        source = ws.settings.tz_source
        if tz is None:
            if source is None:
                ws.settings = replace(ws.settings, tz_source="default")
            return False
        if source not in (None, "default"):
            return False
        ws.settings = replace(ws.settings, tz=tz, tz_source="platform", tz_by=(by or "")[:200] or None)
        for row in self.tables.assessments.values():
            if row.workspace_id == ws.id and row.next_reminder_at is not None:
                row.next_reminder_at = now
        return True

    async def delete_workspace(self, *, platform: str, workspace: str) -> bool:
        """Delete a workspace with its people, assessments, answers, history, deliveries and Teams references."""
        return self.tables.delete_workspace(platform, workspace)

    async def person_id(self, *, platform: str, workspace: str, person: str) -> int | None:
        """The store's id of a person (by platform id, or "name:<name>"), if they have been seen."""
        ws = self.tables.workspace(platform, workspace)
        found = self.tables.person(ws.id, person) if ws is not None else None
        return found.id if found is not None else None

    async def set_time_zone(self, *, platform: str, workspace: str, person: Person, tz: str, now: datetime) -> None:
        """Remember a person's time zone as their client reported it (Teams sends it with each message)."""
        if not valid_zone(tz):
            return
        row = self.tables.upsert_person(self.tables.upsert_workspace(platform, workspace).id, person)
        row.tz, row.tz_checked_at = tz, now

    async def sponsored(self, *, person_ids: list[int]) -> dict[int, list[Project]]:
        """Every assessment each of these people sponsors, for their digests."""
        out: dict[int, list[Project]] = {}
        for _, row in sorted(self.tables.assessments.items()):
            if row.sponsor_id in person_ids and row.state.stage.value != "archived":
                out.setdefault(row.sponsor_id, []).append(
                    Project(
                        id=row.id,
                        state=self.tables.state(row),
                        last_activity=row.updated_at,
                        gaps_since=dict(row.gaps_since),
                        previous_total=row.digested_total,
                        unanswered=row.reminders_since_change
                        if row.last_reminded_at is not None and row.last_reminded_at >= row.updated_at
                        else 0,
                    )
                )
        return out
