"""The inbox in SQL: requests stored before they are acknowledged, then worked on under a lease until done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, or_, select, update
from sqlmodel import col

from conversations.ports import Claimed, Incoming
from storage.queue import claim as claim_rows
from storage.rows import SqlRepository, orm
from storage.tables import Inbox

KEY_LENGTH = 200
ERROR_LENGTH = 300
_CLAIMED = (Inbox.key, Inbox.platform, Inbox.workspace, Inbox.payload, Inbox.attempts)


class SqlInbox(SqlRepository):
    """conversations.ports.Inbox on SQLAlchemy."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Rows as parameters, RETURNING what was stored: a key stored before is skipped and not returned.
        self._put = self._insert(Inbox).on_conflict_do_nothing(index_elements=["key"]).returning(Inbox.id, *_CLAIMED)

    async def put(self, *, item: Incoming, now: datetime, owner: str | None = None, lease: timedelta) -> Claimed | None:
        """Store a request; None when its key is there already (a retry). With `owner` the row is leased to it at once."""
        return (await self.put_all(items=[item], now=now, owner=owner, lease=lease))[0]

    async def put_all(
        self, *, items: Sequence[Incoming], now: datetime, owner: str | None = None, lease: timedelta
    ) -> list[Claimed | None]:
        """Several requests in one statement; each answered in order, None for a key stored before (or earlier in `items`)."""
        keys = [item.key[:KEY_LENGTH] for item in items]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}
        leased = {"lease_owner": owner, "lease_until": now + lease if owner else None, "attempts": 1 if owner else 0}
        rows = [
            {"key": key, "platform": item.platform, "workspace": item.workspace, "payload": dict(item.payload), "created_at": now, **leased}
            for i, (key, item) in enumerate(zip(keys, items, strict=True))
            if first[key] == i
        ]

        def store(conn: Connection) -> dict[str, Claimed]:  # one statement for all the rows, compiled once
            return {row.key: _claimed(row) for row in conn.execute(self._put, rows).all()}

        stored = await self.db.run(store)
        return [stored.get(key) if first[key] == i else None for i, key in enumerate(keys)]

    async def claim(self, *, owner: str, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Requests not done whose lease has run out (or that never had one), leased to `owner`, oldest first."""
        due = (
            select(col(Inbox.id))
            .where(col(Inbox.done_at).is_(None), or_(col(Inbox.lease_until).is_(None), col(Inbox.lease_until) <= now))
            .order_by(col(Inbox.id))
            .limit(limit)
        )
        lease_to = {"lease_owner": owner, "lease_until": now + lease, "attempts": Inbox.attempts + 1}
        rows = await self.db.run(lambda conn: claim_rows(conn, table=Inbox, due=due, lease=lease_to, returning=_CLAIMED))
        return [_claimed(r) for r in sorted(rows, key=lambda r: r.id)]

    async def extend(self, *, id: int, owner: str, until: datetime) -> bool:
        """Keep a lease while the work goes on; False when another worker has taken the row (or it is done)."""
        held = {"b_id": id, "b_owner": owner, "lease_until": until}
        return await self.db.run(lambda conn: conn.execute(_ONE, held).rowcount == 1)

    async def done_all(self, *, ids: Sequence[int], owner: str, now: datetime) -> None:
        """Several requests done, in one statement (those another worker holds are left alone)."""
        done = {"b_ids": list(ids), "b_owner": owner, "done_at": now, "error": None}
        await self.db.run(lambda conn: conn.execute(_SOME, done).rowcount)

    async def done(self, *, id: int, owner: str, now: datetime, error: str | None = None) -> None:
        """Mark a request done (with the error that ended it, if any); nothing when another worker holds it."""
        done = {"b_id": id, "b_owner": owner, "done_at": now, "error": error[:ERROR_LENGTH] if error else None}
        await self.db.run(lambda conn: conn.execute(_ONE, done).rowcount)

    async def pending(self) -> int:
        """How many requests are not done yet."""
        statement = select(func.count()).select_from(Inbox).where(col(Inbox.done_at).is_(None))
        return await self.db.run(lambda conn: conn.execute(statement).scalar_one())

    async def prune(self, *, before: datetime) -> int:
        """Forget requests done before `before` (their keys no longer recognise a retry)."""
        statement = delete(Inbox).where(col(Inbox.done_at) < before)
        return await self.db.run(lambda conn: conn.execute(statement).rowcount)

    async def get(self, *, id: int) -> Inbox | None:
        """One request's row as stored (for tests and inspection)."""
        return await self.db.run(lambda conn: orm(conn).get(Inbox, id))


# Requests still held by a worker, one or several: updates built once (the values set are the parameters' names).
_HELD = (col(Inbox.lease_owner) == bindparam("b_owner"), col(Inbox.done_at).is_(None))
_ONE = update(Inbox).where(col(Inbox.id) == bindparam("b_id"), *_HELD)
_SOME = update(Inbox).where(col(Inbox.id).in_(bindparam("b_ids", expanding=True)), *_HELD)
_MARK_APPLIED = (
    update(Inbox).where(col(Inbox.id) == bindparam("b_id"), col(Inbox.applied_at).is_(None)).values(applied_at=bindparam("b_now"))
)


def mark_applied(conn: Connection, *, id: int, now: datetime) -> bool:
    """Mark an inbox request applied, in the caller's transaction; False when it was applied before (or is unknown)."""
    marked = conn.execute(_MARK_APPLIED, {"b_id": id, "b_now": now})
    return marked.rowcount == 1


def _claimed(row: Any) -> Claimed:
    return Claimed(id=row.id, key=row.key, platform=row.platform, workspace=row.workspace, payload=row.payload, attempts=row.attempts)
