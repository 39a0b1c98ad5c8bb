"""The one claim statement of every queue: the inbox, the delivery outbox, and the scheduler's due work.

`UPDATE … SET <lease> WHERE id IN (SELECT id … WHERE due … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING …`.
On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so replicas claiming at the same moment never
take the same row; SQLAlchemy drops the clause on SQLite, which lets one writer in at a time anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, update


def claim(conn: Connection, *, table: Any, due: Select[Any], lease: Mapping[str, Any], returning: Sequence[Any] = ()) -> list[Row[Any]]:
    """Lease the rows of `table` whose ids `due` selects, in one statement; returns their id and `returning`."""
    # OF <table>: lock only the claimed rows, not those of tables `due` joins (a workspace, say).
    picked = due.with_for_update(skip_locked=True, of=table).scalar_subquery()
    statement = update(table).where(table.id.in_(picked)).values(**lease).returning(table.id, *returning)
    return list(conn.execute(statement).all())
