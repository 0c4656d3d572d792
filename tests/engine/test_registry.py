"""One registry, built at start-up from the features; the core knows no feature."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

from conversations.registry import DuplicateDeclaration, Registry, Tick, action, timed, verb

ROOT = Path(__file__).resolve().parents[2]
CORE = sorted((ROOT / "conversations").glob("*.py"))


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_the_core_imports_no_feature() -> None:
    assert len(CORE) > 10  # the core was found at all
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imported(path) if ".features" in m)
        for path in CORE
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)

    @verb("wave", summary="say hello")
    async def wave(ctx: object, args: object) -> list[object]:
        return []

    @action("wave.back")
    async def wave_back(ctx: object, value: str, values: dict[str, str]) -> list[object]:
        return []

    @timed("tidy", order=5)
    async def tidy(tick: Tick) -> int:
        return 0

    for function in (wave, wave_back, tidy):
        function.__module__ = name
        setattr(module, function.__name__, function)
    return module


def test_declaring_registers_nothing_until_a_registry_collects_it() -> None:
    module = _module("example.feature")
    empty = Registry()
    assert (empty.verbs, empty.actions, empty.jobs) == ({}, {}, [])
    collected = Registry()
    collected.collect(module)
    assert list(collected.verbs) == ["wave"]
    assert list(collected.actions) == ["wave.back"]
    assert [job.name for job in collected.jobs] == ["tidy"]
    assert Registry().verbs == {}  # collecting one registry touched no other


def test_a_function_imported_into_another_module_is_collected_once() -> None:
    module = _module("example.feature")
    elsewhere = types.ModuleType("example.elsewhere")
    elsewhere.wave = module.wave  # type: ignore[attr-defined]
    registry = Registry()
    registry.collect(elsewhere)  # declared elsewhere: not collected here
    registry.collect(module)
    assert list(registry.verbs) == ["wave"]


def test_two_features_declaring_the_same_verb_is_an_error() -> None:
    registry = Registry()
    registry.collect(_module("example.one"))
    with pytest.raises(DuplicateDeclaration):
        registry.collect(_module("example.two"))


def test_discovery_finds_every_feature_and_orders_the_jobs() -> None:
    registry = Registry.discover()
    features = {
        path.parent.name for path in (ROOT / "conversations" / "features").glob("*/__init__.py")
    }
    handlers = [
        *(verb.handler for verb in registry.verbs.values()),
        *registry.actions.values(),
        *([registry.conversation] if registry.conversation else []),
    ]
    declared_in = {handler.__module__.split(".")[2] for handler in handlers}
    assert len(features) >= 10
    assert declared_in == features  # every feature folder was walked, and each declares
    assert registry.conversation is not None  # what words that name no command get
    jobs = [job.name for job in registry.jobs]
    assert jobs[0] == "clearance_pause"  # a lapsed clearance pauses a pair before anything else
    assert jobs.index("agenda") < jobs.index("stall") < jobs.index("retention_purge")
    assert set(registry.renderers) >= {"agenda", "pulse", "digest", "stall"}
    assert registry.overview is not None
    assert [order for order, _ in registry.home] == sorted(order for order, _ in registry.home)


def test_two_discoveries_are_independent_objects() -> None:
    first, second = Registry.discover(), Registry.discover()
    first.verbs.pop("help")
    assert "help" in second.verbs


async def test_each_adapter_adds_the_hooks_for_its_own_tables(chat: object) -> None:
    registry = chat.app.engine.registry  # type: ignore[attr-defined]
    features = {hook.name for hook in Registry.discover().personal_data}
    added = [hook.name for hook in registry.personal_data if hook.name not in features]
    assert added == ["teams adapter copies"]
