"""Enqueueing outgoing messages.

Nothing is sent from inside a handler: messages to anyone but the person who
spoke become outbox rows in the same transaction as the change that caused
them, so a rolled-back event sends nothing and a committed one loses nothing.
Each row carries an idempotency key; enqueueing the same key twice is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.messages import Message
from storage import repositories as repo
from storage.models import Pair, Person, Role


@dataclass(slots=True)
class Outbox:
    session: AsyncSession
    now: datetime

    async def to_person(self, person: Person, message: Message, *, key: str) -> bool:
        return await repo.enqueue(
            self.session,
            workspace_id=person.workspace_id,
            key=key,
            kind=message.kind,
            payload=message.to_json(),
            person_id=person.id,
            not_before=self.now,
            created_at=self.now,
        )

    async def to_pair(self, pair: Pair, message: Message, *, key: str) -> bool:
        return await repo.enqueue(
            self.session,
            workspace_id=pair.mentor.workspace_id,
            key=key,
            kind=message.kind,
            payload=message.to_json(),
            pair_id=pair.id,
            not_before=self.now,
            created_at=self.now,
        )

    async def to_channel(
        self, workspace_id: int, channel: str, message: Message, *, key: str
    ) -> bool:
        return await repo.enqueue(
            self.session,
            workspace_id=workspace_id,
            key=key,
            kind=message.kind,
            payload=message.to_json(),
            channel=channel,
            not_before=self.now,
            created_at=self.now,
        )

    async def to_coordinators(self, workspace_id: int, message: Message, *, key: str) -> int:
        """One row per coordinator, so each delivery succeeds or retries on its own."""
        sent = 0
        for person in await repo.people_with_role(
            self.session, workspace_id=workspace_id, role=Role.COORDINATOR
        ):
            sent += await self.to_person(person, message, key=f"{key}:to:{person.id}")
        return sent
