"""The real-client tests: one headless Chromium with Microsoft's renderer for the whole session.

Without Chromium, node or the npm packages these tests skip and say why, unless
REQUIRE_BROWSER=1 (CI), where that is a failure. scripts/with-browser.sh installs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.teams.conftest import connector, teams  # the real server and the fake connector
from tests.clients.browser import ROOT, Renderer, missing

__all__ = ["artifacts", "connector", "renderer", "teams"]

ARTIFACTS = ROOT / "tests" / "artifacts" / "teams"


@pytest.fixture(scope="session")
def renderer() -> Iterator[Renderer]:
    why = missing()
    if why is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but the real renderer cannot run: {why}")
        pytest.skip(f"the real Adaptive Cards renderer cannot run here: {why}")
    drawer = Renderer()
    yield drawer
    drawer.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the screenshots go (git-ignored), for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
