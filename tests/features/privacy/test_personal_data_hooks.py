"""my-data, forget-me and the retention purge run every registered personal-data hook."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.events import CommandSent
from conversations.registry import Forgetting, PersonalData
from storage.models import Person


async def test_a_registered_hook_is_exported_forgotten_and_purged(chat: Any) -> None:
    calls: list[tuple[str, object]] = []

    async def export(session: AsyncSession, person: Person) -> dict[str, Any]:
        return {"kept_for": person.display_name, "rows": 2}

    async def forget(forgetting: Forgetting) -> None:
        calls.append(("forget", forgetting.platform_user_id))
        assert forgetting.names is not None and forgetting.names.search("Ana")

    async def purge(session: AsyncSession, now: datetime, retention: timedelta) -> int:
        calls.append(("purge", now))
        assert retention == timedelta(days=chat.app.settings.retention_days)
        return 3

    chat.app.engine.registry.add_personal_data(
        PersonalData(name="a plugin's notes", export=export, forget=forget, purge=purge)
    )
    await chat.hello("maya")
    await chat.hello("ana")

    replies = await chat.app.engine.handle(CommandSent(actor=chat.actor("ana"), text="my-data"))
    (file,) = [a for r in replies for a in r.attachments]
    data = json.loads(file.data.decode("utf-8"))
    assert data["a plugin's notes"] == {"kept_for": "Ana", "rows": 2}

    await chat.say("ana", "forget-me")
    done = await chat.press("ana", "Yes, delete my data", kind="forget_confirm")
    assert "deleted" in done.lower(), done
    assert calls == [("forget", "ana")]

    before = chat.clock.now()
    await chat.wait(days=1)  # ticks run the retention job, and with it every hook's purge
    purged_at = [when for what, when in calls if what == "purge"]
    assert purged_at and all(before < when <= chat.clock.now() for when in purged_at)


def test_every_table_that_names_a_person_is_declared_by_the_feature_that_writes_it() -> None:
    """The privacy feature names no other feature's table: each feature declares its own
    part of a copy (and how it is forgotten and purged) beside its code, so a new table
    with personal data is added in its own folder."""
    import ast
    from pathlib import Path

    from conversations.registry import Registry
    from storage import models

    registry = Registry.discover()
    declared = {hook.name: hook for hook in registry.personal_data}
    for name in (
        "roles", "enrolments", "pairs", "meetings", "check_ins", "pulse_responses",
        "prompts", "concerns_you_reported", "digest_subscriptions", "audit_log",
        "messages_to_you",
    ):  # fmt: skip
        assert declared[name].export is not None, name
    assert {"match_suggestions", "their_blocks"} <= set(declared)
    orders = [hook.order for hook in registry.personal_data]
    assert orders == sorted(orders)
    privacy = Path(__file__).resolve().parents[3] / "conversations/features/privacy"
    tables = {
        name
        for name, value in vars(models).items()
        if isinstance(value, type) and hasattr(value, "__table__") and name != "Person"
    }
    named = sorted(
        f"{path.name}: {alias.name}"
        for path in privacy.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "storage.models"
        for alias in node.names
        if alias.name in tables - {"Pair", "Workspace"}
    )
    assert named == []
