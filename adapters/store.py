"""What every adapter reads and writes in the database, in one place.

An adapter reaches the database only through a store module (this one for what the
platforms share, ``adapters/<platform>/store.py`` for each platform's own tables) or
through the engine; request handling and transports never run queries of their own,
so what an adapter keeps is listed here and in its store, nowhere else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories as repo
from storage.models import Pair, Person, Workspace
from storage.repositories import names as names

__all__ = [
    "Pair",
    "Person",
    "Workspace",
    "first_time",
    "forget_inbound",
    "names",
    "person",
    "safeguard",
    "workspace",
]


async def first_time(
    sessions: async_sessionmaker[AsyncSession], *, platform: str, event_id: str, now: datetime
) -> bool:
    """Record an inbound id; False if it was recorded before (the platform is delivering
    it again), so a redelivered event has one effect whichever instance receives it."""
    return await repo.first_time(sessions, platform=platform, event_id=event_id, now=now)


async def forget_inbound(
    sessions: async_sessionmaker[AsyncSession], *, platform: str, event_id: str
) -> None:
    """Forget an inbound id whose handling was cut off, so its redelivery is handled."""
    await repo.forget_inbound(sessions, platform=platform, event_id=event_id)


async def workspace(session: AsyncSession, *, platform: str, external_id: str) -> Workspace | None:
    """The workspace (a Slack team, a Teams tenant) with this platform id, if known."""
    return await repo.workspace_by_external(session, platform=platform, external_id=external_id)


async def person(session: AsyncSession, *, workspace_id: int, user_id: str) -> Person | None:
    """Someone the bot knows in a workspace, by their platform user id."""
    return await repo.person_by_platform_id(
        session, workspace_id=workspace_id, platform_user_id=user_id
    )


async def safeguard(sessions: async_sessionmaker[AsyncSession], pair: Pair) -> Person | None:
    """The adult who sees a safeguarded pair's messages, on every platform: a coordinator,
    else a safeguarding contact, who is not one of the two (nobody is the safeguard of their
    own pairing). None when there is nobody: then the pair's message is not sent, and
    ``eligibility.NO_ADULT`` keeps such a pairing from starting in the first place."""
    async with sessions() as session:
        return await repo.safeguard_for(
            session,
            workspace_id=pair.programme.workspace_id,
            mentor_id=pair.mentor_id,
            mentee_id=pair.mentee_id,
        )
