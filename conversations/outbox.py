"""Enqueueing outgoing messages.

Nothing is sent from inside a handler: messages become outbox rows in the same
transaction as the change that caused them, so a rolled-back event sends
nothing and a committed one loses nothing. Each row carries an idempotency
key; enqueueing the same key twice is a no-op.

Timing: a message to the person who is acting right now (or to their pair) goes
at once; anything else waits for its recipients' working hours, which the
dispatcher works out when the row falls due. Planned prompts (agendas,
nudges, reminders) are stored as a kind and a reference and rendered when
sent, so they say what is true then and can be skipped when no longer needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold, encode
from conversations.kinds import Kind
from conversations.messages import Message
from storage import repositories as repo
from storage.models import Pair, Person, Role

_acting: ContextVar[int | None] = ContextVar("acting_person", default=None)


@contextmanager
def acting(person_id: int) -> Iterator[None]:
    """Mark who is interacting now: what they cause for themselves is sent at once."""
    token = _acting.set(person_id)
    try:
        yield
    finally:
        _acting.reset(token)


About = Pair | Person | Sequence[Person] | None
"""Who else a message names besides its recipient: a pair (both its people), a person, or
several. Stored by id with the row (``OutboxMention``), so a person's messages are found,
exported and forgotten by id, never by looking for their name in the text."""


def mentioned(about: About) -> set[int]:
    if about is None:
        return set()
    if isinstance(about, Pair):
        return {about.mentor_id, about.mentee_id}
    if isinstance(about, Person):
        return {about.id}
    return {person.id for person in about}


def _timing_for(*person_ids: int) -> str:
    actor = _acting.get()
    return "now" if actor is not None and actor in person_ids else "working"


@dataclass(slots=True)
class Outbox:
    session: AsyncSession
    now: datetime

    async def to_person(
        self,
        person: Person,
        message: Message,
        *,
        key: str,
        holds: Sequence[Hold],
        urgent: bool = False,
        about: About = None,
    ) -> bool:
        return await repo.enqueue(
            self.session,
            workspace_id=person.workspace_id,
            key=key,
            kind=message.kind,
            payload=message.to_json(),
            person_id=person.id,
            not_before=self.now,
            created_at=self.now,
            holds=encode(holds),
            timing="now" if urgent else _timing_for(person.id),
            mentions=mentioned(about),
        )

    async def to_pair(
        self, pair: Pair, message: Message, *, key: str, holds: Sequence[Hold]
    ) -> bool:
        return await repo.enqueue(
            self.session,
            workspace_id=pair.mentor.workspace_id,
            key=key,
            kind=message.kind,
            payload=message.to_json(),
            pair_id=pair.id,
            not_before=self.now,
            created_at=self.now,
            holds=encode(holds),
            timing=_timing_for(pair.mentor_id, pair.mentee_id),
        )

    async def planned(
        self,
        *,
        workspace_id: int,
        kind: Kind,
        key: str,
        ref_index: int,
        holds: Sequence[Hold],
        pair: Pair | None = None,
        person: Person | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """A message rendered when it is sent (see ``conversations.rendering``)."""
        people = [p.id for p in (person,) if p] or (
            [pair.mentor_id, pair.mentee_id] if pair else []
        )
        return await repo.enqueue(
            self.session,
            workspace_id=workspace_id,
            key=key,
            kind=kind,
            payload={},
            planned=True,
            person_id=person.id if person else None,
            pair_id=pair.id if pair else None,
            ref_index=ref_index,
            not_before=self.now,
            created_at=self.now,
            holds=encode(holds),
            timing=_timing_for(*people),
            expires_at=expires_at,
        )

    async def to_channel(
        self,
        workspace_id: int,
        channel: str,
        message: Message,
        *,
        key: str,
        holds: Sequence[Hold],
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
            holds=encode(holds),
            timing="now",
        )

    async def to_coordinators(
        self,
        workspace_id: int,
        message: Message,
        *,
        key: str,
        holds: Sequence[Hold],
        about: About = None,
        urgent: bool = False,
    ) -> int:
        """One row per coordinator, so each delivery succeeds or retries on its own. A
        notice ``about`` a pair or a person never goes to a coordinator it is about: nobody
        sees the handling of a pair they are in."""
        sent = 0
        inside = mentioned(about)
        for person in await repo.people_with_role(
            self.session, workspace_id=workspace_id, role=Role.COORDINATOR
        ):
            if person.id in inside:
                continue
            sent += await self.to_person(
                person,
                message,
                key=f"{key}:to:{person.id}",
                holds=holds,
                urgent=urgent,
                about=about,
            )
        return sent
