"""Delivering the outbox through a platform transport.

Adapters implement :class:`Transport`; the dispatcher claims due rows, hands
each to the transport with everything needed to address it, and records the
outcome. A failed send is retried with exponential backoff and after the last
attempt is kept as ``dead`` with its error, never dropped silently.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations.clock import Clock
from conversations.messages import Message
from storage.models import OutboxMessage, OutboxStatus, Pair, Person, Workspace

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row, resolved: who it goes to and what it says."""

    outbox_id: int
    key: str
    workspace: Workspace
    message: Message
    person: Person | None = None
    pair: Pair | None = None
    channel: str | None = None

    @property
    def recipients(self) -> tuple[Person, ...]:
        if self.pair is not None:
            return (self.pair.mentor, self.pair.mentee)
        return (self.person,) if self.person is not None else ()


class Transport(Protocol):
    """What an adapter provides to send. Returns the platform's message id, if any."""

    async def send(self, delivery: Delivery) -> str | None: ...


class DeliveryError(Exception):
    """A send failed; ``retry_after`` (seconds) is honoured when the platform gave one."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


def backoff(attempt: int, *, base: float = 5.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter, in seconds."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


@dataclass(slots=True)
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    transport: Transport

    async def deliver_due(self, *, limit: int = 500) -> int:
        """Send every due pending row (single process). Returns how many were sent."""
        sent = 0
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.not_before <= self.clock.now(),
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
            due = list(rows)
        for outbox_id in due:
            sent += await self._deliver_one(outbox_id)
        return sent

    async def _deliver_one(self, outbox_id: int) -> int:
        async with self.sessions.begin() as session:
            row = await session.get(OutboxMessage, outbox_id)
            if row is None or row.status != OutboxStatus.PENDING:
                return 0
            delivery = await _resolve(session, row)
            now = self.clock.now()
            row.attempts += 1
            try:
                row.platform_message_id = await self.transport.send(delivery)
            except DeliveryError as exc:
                self._failed(row, str(exc), retry_after=exc.retry_after, permanent=exc.permanent)
                return 0
            except Exception as exc:  # the adapter's bug must not stop the queue
                log.exception("transport failed on outbox row %s", row.id)
                self._failed(row, f"{type(exc).__name__}: {exc}", retry_after=None, permanent=False)
                return 0
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.last_error = None
            return 1

    def _failed(
        self, row: OutboxMessage, reason: str, *, retry_after: float | None, permanent: bool
    ) -> None:
        row.last_error = reason[:2000]
        if permanent or row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.DEAD
            log.warning("outbox row %s dead after %s attempts: %s", row.id, row.attempts, reason)
            return
        wait = retry_after if retry_after is not None else backoff(row.attempts)
        row.not_before = self.clock.now() + timedelta(seconds=wait)


async def _resolve(session: AsyncSession, row: OutboxMessage) -> Delivery:
    workspace = await session.get(Workspace, row.workspace_id)
    assert workspace is not None
    person = await session.get(Person, row.person_id) if row.person_id else None
    pair = await session.get(Pair, row.pair_id) if row.pair_id else None
    return Delivery(
        outbox_id=row.id,
        key=row.idempotency_key,
        workspace=workspace,
        message=Message.from_json(row.payload),
        person=person,
        pair=pair,
        channel=row.channel,
    )
