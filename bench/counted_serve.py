"""`preflight` with every SQL statement and transaction counted, for bench/run.py's statements per request.

The same command line as `preflight` (e.g. `python bench/counted_serve.py serve --port 3000`); an
SQLAlchemy listener on every Engine counts statements by kind and table, transactions, and the
statements SQLAlchemy compiled anew instead of taking from its cache. On SIGUSR1 the counts so
far are written to standard output as one JSON line starting with COUNTS. Only the statements run
uses it: the timed runs start the real `preflight serve`, without the listener's cost.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.default import CACHE_HIT

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
counts: Counter[str] = Counter()


@event.listens_for(Engine, "before_cursor_execute")
def _statement(conn, cursor, statement, parameters, context, executemany) -> None:
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    table = TABLE.search(statement)
    kind = f"{verb} {table.group(1) if table else ''}".strip()
    counts["statements"] += 1
    counts[kind] += 1
    if context is not None and getattr(context, "compiled", None) is not None and context.cache_hit is not CACHE_HIT:
        counts["compiled anew"] += 1  # SQLAlchemy's statement cache did not have it (a miss, or not cacheable)
        counts[f"compiled anew: {kind}"] += 1


@event.listens_for(Engine, "begin")
def _transaction(conn) -> None:
    counts["transactions"] += 1


def _report(*_: object) -> None:
    os.write(1, ("COUNTS " + json.dumps(dict(counts)) + "\n").encode())


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _report)
    from bot.cli import main

    sys.exit(main(sys.argv[1:]))
