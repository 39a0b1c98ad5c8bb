"""Persistence: SQLModel tables, the database, one small repository per port, and migrations.

`sql_repositories(database=…)` builds the SQL repositories; `storage.memory.memory_repositories()` the
in-memory fakes that pass the same contract suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.ports import Assessments, Deliveries, Inbox, TeamsReferences, Workspaces
from storage.assessments import SqlAssessments
from storage.database import Database, open_database
from storage.engine import DatabaseError, connect, database_url
from storage.inbox import SqlInbox
from storage.reminders import ReminderStore
from storage.teams import SqlTeamsReferences
from storage.workspaces import SqlWorkspaces

__all__ = ["Database", "DatabaseError", "Repositories", "connect", "database_url", "open_database", "sql_repositories"]


@dataclass(frozen=True)
class Repositories:
    """One repository per port, over one database (or one in-memory world)."""

    assessments: Assessments
    workspaces: Workspaces
    inbox: Inbox
    deliveries: Deliveries
    teams: TeamsReferences


def sql_repositories(*, database: Database) -> Repositories:
    """The SQL repositories on a database that is connected and migrated (see `open_database`)."""
    return Repositories(
        assessments=SqlAssessments(database=database),
        workspaces=SqlWorkspaces(database=database),
        inbox=SqlInbox(database=database),
        deliveries=ReminderStore(database=database),
        teams=SqlTeamsReferences(database=database),
    )
