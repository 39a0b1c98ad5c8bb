"""In-memory fakes of every port, passing the same contract suite as SQL: plain dicts and dataclasses.

The fakes of one `memory_repositories()` share one `Tables`, as the SQL repositories share a database:
a save that applies an inbox request marks its row, deleting a workspace deletes what it holds, and
the scheduler's queues see every change.
"""

from __future__ import annotations

from storage import Repositories
from storage.memory.assessments import MemoryAssessments
from storage.memory.deliveries import MemoryDeliveries
from storage.memory.inbox import MemoryInbox
from storage.memory.tables import Tables
from storage.memory.teams import MemoryTeamsReferences
from storage.memory.workspaces import MemoryWorkspaces

__all__ = [
    "MemoryAssessments",
    "MemoryDeliveries",
    "MemoryInbox",
    "MemoryTeamsReferences",
    "MemoryWorkspaces",
    "Tables",
    "memory_repositories",
]


def memory_repositories(*, tables: Tables | None = None) -> Repositories:
    """Every port in memory, over one set of tables."""
    tables = tables or Tables()
    return Repositories(
        assessments=MemoryAssessments(tables=tables),
        workspaces=MemoryWorkspaces(tables=tables),
        inbox=MemoryInbox(tables=tables),
        deliveries=MemoryDeliveries(tables=tables),
        teams=MemoryTeamsReferences(tables=tables),
    )
