"""Teams conversation references in SQL, kept so reminders reach Teams after any restart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update
from sqlmodel import col, select

from storage.rows import SqlRepository, orm, workspace_id
from storage.tables import TeamsConversation, Workspace

CONVERSATION_LENGTH = 300


class SqlTeamsReferences(SqlRepository):
    """conversations.ports.TeamsReferences on SQLAlchemy."""

    async def remember(
        self, *, tenant: str, conversation_id: str, kind: str, reference: dict[str, Any], now: datetime, user_id: str | None = None
    ) -> None:
        """Store or refresh a reference (one statement after the workspace is known); it is active again."""

        def remember(conn: Connection) -> None:
            wid = workspace_id(conn, platform="teams", workspace=tenant, now=now)
            insert = self._insert(TeamsConversation).values(
                workspace_id=wid,
                conversation_id=conversation_id[:CONVERSATION_LENGTH],
                kind=kind,
                user_id=user_id,
                reference=reference,
                active=True,
                updated_at=now,
            )
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["workspace_id", "conversation_id"],
                    set_={"reference": insert.excluded.reference, "active": True, "updated_at": now, "kind": kind, "user_id": user_id},
                )
            )

        await self.db.run(remember)

    async def find(self, *, tenant: str, conversation_id: str | None = None, user_id: str | None = None) -> Mapping[str, Any] | None:
        """The active reference (serialised) of a conversation, of a person's personal chat, or with neither, any in the tenant."""
        query = (
            select(TeamsConversation.reference)
            .join(Workspace, col(Workspace.id) == TeamsConversation.workspace_id)
            .where(Workspace.platform == "teams", Workspace.external_id == tenant, col(TeamsConversation.active).is_(True))
        )
        if conversation_id is not None:
            query = query.where(TeamsConversation.conversation_id == conversation_id[:CONVERSATION_LENGTH])
        if user_id is not None:
            query = query.where(TeamsConversation.user_id == user_id, TeamsConversation.kind == "personal")
        query = query.order_by(col(TeamsConversation.updated_at).desc(), col(TeamsConversation.id).desc()).limit(1)
        return await self.db.run(lambda conn: orm(conn).exec(query).first())

    async def deactivate(self, *, tenant: str, conversation_id: str) -> None:
        """The bot can no longer post there (the connector answered 403 or 404): stop using the reference."""
        ids = select(Workspace.id).where(Workspace.platform == "teams", Workspace.external_id == tenant)
        statement = (
            update(TeamsConversation)
            .where(
                col(TeamsConversation.workspace_id).in_(ids),
                col(TeamsConversation.conversation_id) == conversation_id[:CONVERSATION_LENGTH],
            )
            .values(active=False)
        )
        await self.db.run(lambda conn: conn.execute(statement).rowcount)
