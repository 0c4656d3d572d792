"""What the conversation feature keeps about a person: words they wrote that wait for one
more answer from them (which pairing, or a rating), for a few days at most."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import iso, rowcount
from conversations.registry import Forgetting, personal_data
from storage.models import HeldReply, Person

HELD_FOR = timedelta(days=7)
"""Words nobody came back to are deleted after this, whatever the retention setting."""


async def _forget(forgetting: Forgetting) -> None:
    await forgetting.session.execute(
        delete(HeldReply)
        .where(HeldReply.person_id == forgetting.person.id)
        .execution_options(synchronize_session=False)
    )


async def _purge(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    result = await session.execute(
        delete(HeldReply)
        .where(HeldReply.created_at < now - min(HELD_FOR, retention))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


@personal_data("words_waiting_for_you", forget=_forget, purge=_purge, order=53)
async def words_waiting(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(HeldReply).where(HeldReply.person_id == person.id).order_by(HeldReply.id)
    )
    return [{"you_wrote": held.text, "created_at": iso(held.created_at)} for held in rows]
