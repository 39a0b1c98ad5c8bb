"""Teams conversation references in memory."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.memory.tables import Tables, TeamsRow

CONVERSATION_LENGTH = 300


class MemoryTeamsReferences:
    """conversations.ports.TeamsReferences in memory."""

    def __init__(self, *, tables: Tables | None = None) -> None:
        self.tables = tables or Tables()

    async def remember(
        self, *, tenant: str, conversation_id: str, kind: str, reference: dict[str, Any], now: datetime, user_id: str | None = None
    ) -> None:
        """Store or refresh a reference; it is active again."""
        ws = self.tables.upsert_workspace("teams", tenant)
        conversation = conversation_id[:CONVERSATION_LENGTH]
        row = next((r for r in self.tables.teams.values() if (r.workspace_id, r.conversation_id) == (ws.id, conversation)), None)
        if row is None:
            row = TeamsRow(self.tables.new_id("teams_conversation"), ws.id, conversation, kind, user_id, dict(reference), now)
            self.tables.teams[row.id] = row
        row.kind, row.user_id, row.reference, row.updated_at, row.active = kind, user_id, dict(reference), now, True

    async def find(self, *, tenant: str, conversation_id: str | None = None, user_id: str | None = None) -> Mapping[str, Any] | None:
        """The active reference (serialised) of a conversation, of a person's personal chat, or with neither, any in the tenant."""
        ws = self.tables.workspace("teams", tenant)
        found = [
            r
            for r in self.tables.teams.values()
            if ws is not None
            and r.workspace_id == ws.id
            and r.active
            and (conversation_id is None or r.conversation_id == conversation_id[:CONVERSATION_LENGTH])
            and (user_id is None or (r.user_id == user_id and r.kind == "personal"))
        ]
        return dict(max(found, key=lambda r: (r.updated_at, r.id)).reference) if found else None

    async def deactivate(self, *, tenant: str, conversation_id: str) -> None:
        """The bot can no longer post there (the connector answered 403 or 404): stop using the reference."""
        ws = self.tables.workspace("teams", tenant)
        for row in self.tables.teams.values():
            if ws is not None and row.workspace_id == ws.id and row.conversation_id == conversation_id[:CONVERSATION_LENGTH]:
                row.active = False
