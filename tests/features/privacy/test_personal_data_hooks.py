"""my-data, forget-me and the retention purge run every registered personal-data hook."""

from __future__ import annotations

import json
from datetime import datetime
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

    async def purge(session: AsyncSession, now: datetime) -> int:
        calls.append(("purge", now))
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
