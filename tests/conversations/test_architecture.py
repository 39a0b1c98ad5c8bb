"""The core stays platform-neutral: dependencies point bot/ -> conversations/ <- storage/."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "sqlmodel",
    "sqlalchemy",
    "httpx",
    "aiohttp",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "storage",
    "bot",
)


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


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """The project modules a file imports when it runs (anywhere in it), leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_there_are_no_import_cycles():
    modules = {module_of(p): p for p in SOURCES}
    graph = {name: {m for m in runtime_imports(path) if m in modules and m != name} for name, path in modules.items()}
    cycles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [name, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_adapter_imports_the_composition_root():
    adapters = [p for p in SOURCES if p.relative_to(ROOT).parts[:2] in (("bot", "slack"), ("bot", "teams"))] + [
        p for p in SOURCES if p.relative_to(ROOT).parts[0] in ("conversations", "storage")
    ]
    assert adapters
    assert [p.name for p in adapters if "bot.bootstrap" in runtime_imports(p) | imports_all(p)] == []


def imports_all(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
