"""The weekly digest's timed job: queue each subscription's digest at its local time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.features.digest import digest
from conversations.features.digest.holds import subscribed
from conversations.kinds import Kind
from conversations.planner import insert_planned, planned_row
from conversations.registry import Tick, timed
from storage.models import DigestSubscription, Person


async def _digests(session: AsyncSession, now: datetime) -> int:
    """Weekly digests whose local send time has come: one per subscription per week."""
    due = list(
        await session.scalars(
            select(DigestSubscription)
            .where(DigestSubscription.next_at <= now)
            .with_for_update(skip_locked=True)
        )
    )
    rows = []
    for subscription in due:
        person = await session.get(Person, subscription.person_id)
        if person is None:
            continue
        week = digest.period(subscription.next_at or now, person.timezone)
        subscription.last_period = week
        subscription.next_at = digest.next_send(
            weekday=subscription.weekday,
            local_time=subscription.local_time,
            timezone=person.timezone,
            after=now,
        )
        row = planned_row(
            workspace_id=subscription.workspace_id,
            key=f"digest:{subscription.id}:{week}",
            kind=Kind.DIGEST,
            now=now,
            ref_index=subscription.id,
            person_id=person.id,
            expires_at=now + timedelta(days=2),
            holds=(subscribed(subscription.id),),
        )

        row["timing"] = "now"  # sent at the local time the reader chose
        rows.append(row)
    await session.flush()
    return await insert_planned(session, rows)


@timed("digest", order=70)
async def digests(tick: Tick) -> int:
    """Each subscription's weekly digest, at the reader's chosen local time."""
    return await _digests(tick.session, tick.now)
