"""The test suite's own shape: a test module never imports another test module.

Shared helpers live in ``tests/support`` and shared fixtures in its plugin; importing a
``test_*`` module instead drags its tests into the importer's namespace, ties the two
files together so neither can move or change alone, and hides where a fixture comes from.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

TESTS = ROOT / "tests"


def _imported_modules(path: Path) -> list[str]:
    """Every module (or name in one) ``path`` imports, absolute or relative (dots kept)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            if _is_test_module(base):
                found.append(base)
            else:  # ``from tests.engine import test_grammar`` imports a module too
                found += [f"{base.rstrip('.')}.{alias.name}" for alias in node.names]
    return found


def test_importers_are_found_by_the_scan(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text(
        "import tests.engine.test_grammar\n"
        "from tests.adapters.slack import test_slack_app\n"
        "from .test_console import scripted\n"
        "from tests.support.harness import Chat\n"
        "from aiohttp.test_utils import TestServer\n"
        "from . import test_csv\n",
        encoding="utf-8",
    )
    imported = [m for m in _imported_modules(module) if _is_test_module(m)]
    assert imported == [
        "tests.engine.test_grammar",
        "tests.adapters.slack.test_slack_app",
        ".test_console",
        ".test_csv",
    ]


def _is_test_module(name: str) -> bool:
    """A module of this suite (``tests.…`` or relative) named ``test_*``; libraries'
    own ``test_utils`` modules (aiohttp's) are not ours."""
    ours = name.startswith(("tests.", "."))
    return ours and any(part.startswith("test_") for part in name.split("."))


def test_no_test_module_imports_another_test_module() -> None:
    modules = sorted(TESTS.rglob("test_*.py"))
    assert len(modules) > 40, "the scan found too few test modules to be looking in tests/"
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in _imported_modules(path)
        if _is_test_module(name)
    ]
    assert offenders == []


def test_support_holds_no_tests() -> None:
    """Helpers named like tests would be collected as tests, and imported as helpers."""
    assert sorted((TESTS / "support").rglob("test_*.py")) == []
