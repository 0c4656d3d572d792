"""What the digest keeps about a person: their subscriptions to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import iso
from conversations.registry import Forgetting, personal_data
from storage.models import DigestSubscription, Person, Programme


async def _unsubscribe(forgetting: Forgetting) -> None:
    await forgetting.session.execute(
        delete(DigestSubscription)
        .where(DigestSubscription.person_id == forgetting.person.id)
        .execution_options(synchronize_session=False)
    )


@personal_data("digest_subscriptions", forget=_unsubscribe, order=70)
async def digest_subscriptions(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(DigestSubscription, Programme.key)
        .outerjoin(Programme, Programme.id == DigestSubscription.programme_id)
        .where(DigestSubscription.person_id == person.id)
        .order_by(DigestSubscription.id)
    )
    return [
        {
            "programme": key or "all",
            "weekday": s.weekday,
            "local_time": s.local_time,
            "created_at": iso(s.created_at),
        }
        for s, key in rows
    ]
