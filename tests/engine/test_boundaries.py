"""The engine and storage stay platform-neutral: adapters translate, the engine decides."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "psycopg2",
    "sqlite3",
    "aiohttp",
    "adapters",
    "bot",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["conversations", "storage"])
def test_no_platform_sdk_or_database_driver_is_imported(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN))
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _modules(path: Path) -> set[str]:
    """Every module ``path`` imports, fully named (``from storage import models`` is
    ``storage.models``), wherever the import is: top level, a function, TYPE_CHECKING."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _adapter_modules() -> list[Path]:
    return sorted((ROOT / "adapters").rglob("*.py"))


def test_no_adapter_imports_the_process_that_runs_it() -> None:
    """Dependencies point one way: ``bot`` wires adapters and the engine; an adapter is given
    what it needs (see ``adapters.platform.Host``) and never reaches back into ``bot``."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _modules(path) if m == "bot" or m.startswith("bot.")
        )
        for path in _adapter_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


DATABASE_MODULES = ("storage.models", "storage.repositories")
GATEWAYS = ("store.py",)
"""An adapter reaches the database through its store module or the engine, nowhere else
(``adapters/outage.py`` only re-exports ``storage.outage``, which runs no query)."""


def test_only_store_modules_reach_the_database_from_an_adapter() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m
            for m in _modules(path)
            if any(m == db or m.startswith(f"{db}.") for db in DATABASE_MODULES)
        )
        for path in _adapter_modules()
        if path.name not in GATEWAYS
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_scan_sees_every_form_of_import(tmp_path: Path) -> None:
    """The scans above would pass vacuously if they missed a form of import."""
    module = tmp_path / "m.py"
    module.write_text(
        "import bot.app\n"
        "from storage import repositories as repo\n"
        "def f():\n"
        "    from bot.limits import MAX_BODY\n"
    )
    assert {"bot.app", "storage.repositories", "bot.limits.MAX_BODY"} <= _modules(module)
