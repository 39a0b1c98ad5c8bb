"""Test-only: `preflight db upgrade`, which SIGKILLs itself at a chosen point (see test_migrations.py).

KILL_AT=statement:N kills the process just before the N-th SQL statement it sends; KILL_AT=commit:N just
before its N-th COMMIT. Nothing is cleaned up, nothing flushed: what the database keeps is what a power
cut or `kill -9` at that moment would leave. This hook lives here, not in Preflight.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.cli import main

kind, _, number = os.environ["KILL_AT"].partition(":")
seen = {"statement": 0, "commit": 0}


def reached(what: str) -> None:
    seen[what] += 1
    if what == kind and seen[what] == int(number):
        os.kill(os.getpid(), signal.SIGKILL)


def statement(*_: Any) -> None:
    reached("statement")


def commit(_: Any) -> None:
    reached("commit")


event.listen(Engine, "before_cursor_execute", statement)
event.listen(Engine, "commit", commit)
sys.exit(main(["db", "upgrade"]))
