"""What concerns keep about a person: the concerns they reported, in their own words.

Concerns others reported are never in a copy (reporters must be safe to report). When a
reporter is forgotten their concerns stay, as safety records, without the link to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import iso, rowcount
from conversations.registry import Forgetting, personal_data
from storage.models import Concern, Person


async def _purge_words(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """A concern's words go once it has been resolved for the retention period: the record
    that it was raised, when, and how it was handled stays."""
    result = await session.execute(
        update(Concern)
        .where(
            Concern.resolved_at.is_not(None),
            Concern.resolved_at <= now - retention,
            Concern.description != "",
        )
        .values(description="")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def _unlink(forgetting: Forgetting) -> None:
    await forgetting.session.execute(
        update(Concern)
        .where(Concern.reporter_id == forgetting.person.id)
        .values(reporter_id=None)
        .execution_options(synchronize_session=False)
    )


@personal_data("concerns_you_reported", forget=_unlink, purge=_purge_words, order=60)
async def concerns_you_reported(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Concern).where(Concern.reporter_id == person.id).order_by(Concern.id)
    )
    return [
        {
            "category": c.category,
            "urgent": c.urgent,
            "your_words": c.description,
            "status": c.status,
            "created_at": iso(c.created_at),
            "acknowledged_at": iso(c.acknowledged_at),
            "resolved_at": iso(c.resolved_at),
        }
        for c in rows
    ]
