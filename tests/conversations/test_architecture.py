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
