"""When the platform says someone can no longer be reached, their running pairs pause.

Nobody waits on a partner who cannot hear them; the pair resumes like any pause.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.features.pairing import lifecycle
from conversations.registry import when_unreachable
from storage import repositories as repo
from storage.models import PairStatus, PauseReason, Person


@when_unreachable
async def pause_pairs(session: AsyncSession, person: Person, now: datetime) -> None:
    for pair in await repo.live_pairs_of(session, person_id=person.id):
        if pair.status == PairStatus.ACTIVE:
            lifecycle.pause(pair, PauseReason.UNREACHABLE)
