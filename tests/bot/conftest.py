"""Running the real `preflight` command as a process."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bot.slack.fake_slack import FakeSlack
from tests.loopback import environment

PREFLIGHT = Path(sys.executable).parent / "preflight"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def preflight(tmp_path):
    """preflight(*args, stdin=..., env=...) runs the installed command in a scratch folder."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60) -> Run:
        clean = environment(**(env or {}))
        done = subprocess.run(
            [str(PREFLIGHT), *args], input=stdin, capture_output=True, text=True, cwd=tmp_path, env=clean, timeout=timeout
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
async def api():
    """A Slack Web API on loopback that records every call."""
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()
