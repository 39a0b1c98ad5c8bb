"""Teams conversation references, kept so reminders reach Teams after any restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from conversations.service import Place
from storage.repository import SqlStore
from storage.tables import TeamsConversation, Workspace


class TeamsReferences:
    def __init__(self, *, engine: AsyncEngine, store: SqlStore) -> None:
        self.engine = engine
        self.store = store
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def remember(
        self, *, tenant: str, conversation_id: str, kind: str, reference: dict[str, Any], now: datetime, user_id: str | None = None
    ) -> None:
        """Store or refresh a reference (one statement after the workspace is known); it is active again."""
        async with AsyncSession(self.engine) as session:
            workspace_id = await self.store._workspace(session, place=Place(platform="teams", workspace=tenant, channel=""), now=now)
            insert = self._insert(TeamsConversation).values(
                workspace_id=workspace_id, conversation_id=conversation_id[:300], kind=kind, user_id=user_id,
                reference=reference, active=True, updated_at=now,
            )
            await session.exec(
                insert.on_conflict_do_update(
                    index_elements=["workspace_id", "conversation_id"],
                    set_={"reference": insert.excluded.reference, "active": True, "updated_at": now, "kind": kind, "user_id": user_id},
                )
            )
            await session.commit()

    async def find(self, *, tenant: str, conversation_id: str | None = None, user_id: str | None = None) -> TeamsConversation | None:
        """The active reference of a conversation, or of a person's personal chat."""
        async with AsyncSession(self.engine) as session:
            query = (
                select(TeamsConversation)
                .join(Workspace, Workspace.id == TeamsConversation.workspace_id)
                .where(Workspace.platform == "teams", Workspace.external_id == tenant, TeamsConversation.active.is_(True))
            )
            if conversation_id is not None:
                query = query.where(TeamsConversation.conversation_id == conversation_id[:300])
            if user_id is not None:
                query = query.where(TeamsConversation.user_id == user_id, TeamsConversation.kind == "personal")
            return (await session.exec(query.order_by(TeamsConversation.updated_at.desc()))).first()

    async def any_in_tenant(self, *, tenant: str) -> TeamsConversation | None:
        """Some active reference in the tenant: where to learn the service URL for a new personal chat."""
        return await self.find(tenant=tenant)

    async def deactivate(self, *, tenant: str, conversation_id: str) -> None:
        async with AsyncSession(self.engine) as session:
            ids = select(Workspace.id).where(Workspace.platform == "teams", Workspace.external_id == tenant)
            await session.exec(
                update(TeamsConversation)
                .where(TeamsConversation.workspace_id.in_(ids), TeamsConversation.conversation_id == conversation_id[:300])
                .values(active=False)
            )
            await session.commit()
