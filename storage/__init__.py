"""Persistence: SQLModel tables, the async engine, one small repository per port, and migrations.

`sql_repositories(engine=…)` builds the SQL repositories; `storage.memory.memory_repositories()` the
in-memory fakes that pass the same contract suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from conversations.ports import Assessments, Deliveries, Inbox, TeamsReferences, Workspaces
from storage.assessments import SqlAssessments
from storage.engine import DatabaseError, connect, database_url
from storage.inbox import SqlInbox
from storage.reminders import ReminderStore
from storage.teams import SqlTeamsReferences
from storage.workspaces import SqlWorkspaces

__all__ = ["DatabaseError", "Repositories", "connect", "database_url", "sql_repositories"]


@dataclass(frozen=True)
class Repositories:
    """One repository per port, over one database (or one in-memory world)."""

    assessments: Assessments
    workspaces: Workspaces
    inbox: Inbox
    deliveries: Deliveries
    teams: TeamsReferences


def sql_repositories(*, engine: AsyncEngine) -> Repositories:
    """The SQL repositories on an engine that is connected and migrated (see `connect`)."""
    return Repositories(
        assessments=SqlAssessments(engine=engine),
        workspaces=SqlWorkspaces(engine=engine),
        inbox=SqlInbox(engine=engine),
        deliveries=ReminderStore(engine=engine),
        teams=SqlTeamsReferences(engine=engine),
    )
