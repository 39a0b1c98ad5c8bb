"""The core stays platform-neutral: dependencies point bot/ -> conversations/ <- storage/."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = ("slack_bolt", "slack_sdk", "botbuilder", "sqlmodel", "sqlalchemy", "httpx", "aiohttp", "asyncpg", "aiosqlite", "alembic", "storage", "bot")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "conversations").glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_no_sdk_sql_or_adapter(path):
    assert not imports(path) & set(FORBIDDEN_IN_CORE)


@pytest.mark.parametrize("path", sorted((ROOT / "storage").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_never_imports_the_adapters(path):
    assert "bot" not in imports(path)


SOURCES = sorted(p for folder in ("bot", "storage", "conversations") for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_platform_sdk_stays_in_its_own_folder(path):
    """Swapping Teams' SDK (or Slack's) touches one folder."""
    found = imports(path)
    relative = path.relative_to(ROOT).as_posix()
    if "botbuilder" in found or "botframework" in found:
        assert relative.startswith("bot/teams/")
    if "slack_bolt" in found:
        assert relative.startswith("bot/slack/") or relative == "bot/server.py"
    if "slack_sdk" in found:
        assert relative.startswith("bot/slack/") or relative == "storage/slack_install_tables.py"
