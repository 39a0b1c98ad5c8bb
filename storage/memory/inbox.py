"""The inbox in memory: requests by id, leased to one worker at a time until done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from conversations.ports import Claimed, Incoming
from storage.memory.tables import InboxRow, Tables, round_trip

KEY_LENGTH = 200  # as the SQL column, so that the same keys collide
ERROR_LENGTH = 300


class MemoryInbox:
    """conversations.ports.Inbox in memory."""

    def __init__(self, *, tables: Tables | None = None) -> None:
        self.tables = tables or Tables()

    async def put(self, *, item: Incoming, now: datetime, owner: str | None = None, lease: timedelta) -> Claimed | None:
        """Store a request; None when its key is there already (a retry). With `owner` the row is leased to it at once."""
        return (await self.put_all(items=[item], now=now, owner=owner, lease=lease))[0]

    async def put_all(
        self, *, items: Sequence[Incoming], now: datetime, owner: str | None = None, lease: timedelta
    ) -> list[Claimed | None]:
        """Several requests at once; each answered in order, None for a key stored before (or earlier in `items`)."""
        await round_trip()
        return [self._put(item, now=now, owner=owner, lease=lease) for item in items]

    def _put(self, item: Incoming, *, now: datetime, owner: str | None, lease: timedelta) -> Claimed | None:
        key = item.key[:KEY_LENGTH]
        if any(r.key == key for r in self.tables.inbox.values()):
            return None
        row = InboxRow(
            id=self.tables.new_id("inbox"),
            key=key,
            platform=item.platform,
            workspace=item.workspace,
            payload=dict(item.payload),
            created_at=now,
        )
        if owner is not None:
            row.lease_owner, row.lease_until, row.attempts = owner, now + lease, 1
        self.tables.inbox[row.id] = row
        return _claimed(row)

    async def claim(self, *, owner: str, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Requests not done whose lease has run out (or that never had one), leased to `owner`, oldest first."""
        await round_trip()
        due = [r for _, r in sorted(self.tables.inbox.items()) if r.done_at is None and (r.lease_until is None or r.lease_until <= now)]
        for row in due[:limit]:
            row.lease_owner, row.lease_until, row.attempts = owner, now + lease, row.attempts + 1
        return [_claimed(r) for r in due[:limit]]

    async def extend(self, *, id: int, owner: str, until: datetime) -> bool:
        """Keep a lease while the work goes on; False when another worker has taken the row (or it is done)."""
        row = self._held(id, owner)
        if row is not None:
            row.lease_until = until
        return row is not None

    async def done_all(self, *, ids: Sequence[int], owner: str, now: datetime) -> None:
        """Several requests done (those another worker holds are left alone)."""
        for id in ids:
            await self.done(id=id, owner=owner, now=now)

    async def done(self, *, id: int, owner: str, now: datetime, error: str | None = None) -> None:
        """Mark a request done (with the error that ended it, if any); nothing when another worker holds it."""
        row = self._held(id, owner)
        if row is not None:
            row.done_at, row.error = now, error[:ERROR_LENGTH] if error else None

    async def pending(self) -> int:
        """How many requests are not done yet."""
        return sum(r.done_at is None for r in self.tables.inbox.values())

    async def prune(self, *, before: datetime) -> int:
        """Forget requests done before `before` (their keys no longer recognise a retry)."""
        old = [i for i, r in self.tables.inbox.items() if r.done_at is not None and r.done_at < before]
        for i in old:
            del self.tables.inbox[i]
        return len(old)

    async def get(self, *, id: int) -> InboxRow | None:
        """One request's row as stored (for tests and inspection): a copy, as a database would hand out."""
        row = self.tables.inbox.get(id)
        return replace(row) if row is not None else None

    def _held(self, id: int, owner: str) -> InboxRow | None:
        row = self.tables.inbox.get(id)
        return row if row is not None and row.lease_owner == owner and row.done_at is None else None


def _claimed(row: InboxRow) -> Claimed:
    return Claimed(id=row.id, key=row.key, platform=row.platform, workspace=row.workspace, payload=dict(row.payload), attempts=row.attempts)
