"""Delivering the outbox: claimed with a lease, sent once, retried, never dropped.

Any number of processes may run a dispatcher against one database. Each claims
due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so instances
share the work; on SQLite one process does it all), renders planned messages,
waits for the recipients' working hours, stays within the platform's rate
limits, sends, and records the platform's message id. A process that dies
mid-send leaves its rows leased; when the lease expires another process claims
them, first asking the platform (where it can say) whether the message already
arrived, so it is not sent twice. Failures retry with exponential backoff and
jitter, honouring ``Retry-After``; after the last attempt a row is kept as
``dead`` with its error, for coordinators to see and retry.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations import holds, logcontext, rendering, timing
from conversations.clock import Clock
from conversations.context import EngineSettings
from conversations.curriculum import Library
from conversations.messages import Message
from conversations.ratelimit import RateLimiter
from conversations.registry import Condition, Registry, Renderer
from storage.models import OutboxMessage, OutboxStatus, Pair, Person, Workspace

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
DEFER_TOLERANCE = timedelta(minutes=1)


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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
    attempt: int = 1

    @property
    def recipients(self) -> tuple[Person, ...]:
        """A row addressed to a person goes to them (even when it is about a pair)."""
        if self.person is not None:
            return (self.person,)
        if self.pair is not None:
            return (self.pair.mentee, self.pair.mentor)
        return ()

    @property
    def conversation(self) -> str:
        """The platform conversation this lands in, for per-conversation rate limits."""
        if self.channel is not None:
            return f"channel:{self.channel}"
        if self.person is not None:
            return f"person:{self.person.id}"
        return f"pair:{self.pair.id}" if self.pair is not None else "none"


class Transport(Protocol):
    """What an adapter provides to send. Returns the platform's message id, if any.

    A transport may also offer ``async confirm(delivery) -> str | None``: whether a
    message with this delivery's key already reached the platform (after a crash).
    """

    async def send(self, delivery: Delivery) -> str | None: ...


class DeliveryError(Exception):
    """A send failed; ``retry_after`` (seconds) is honoured when the platform gave one."""

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        person: Person | None = None,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent
        self.person = person
        """Whom it failed for, when a transport sending a pair's message can tell."""


def backoff(attempt: int, *, base: float = 5.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter, in seconds."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


@dataclass(frozen=True, slots=True)
class Claim:
    outbox_id: int
    recovered: bool
    """Claimed from a process whose lease ran out: it may already have been sent."""


def _due(now: datetime) -> Any:
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_expires_at < now),
    )


@dataclass
class Stats:
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    rate_limited: int = 0
    dead: int = 0


@dataclass
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    transport: Transport
    library: Library = field(default_factory=Library.load)
    settings: EngineSettings = field(default_factory=EngineSettings)
    renderers: Mapping[str, Renderer] = field(default_factory=lambda: Registry.discover().renderers)
    """How planned rows become messages when sent (the engine's registry's renderers)."""
    conditions: Mapping[str, Condition] = field(
        default_factory=lambda: Registry.discover().conditions
    )
    """The checks behind each row's holds (the engine's registry's conditions)."""
    limiter: RateLimiter | None = None
    worker: str = field(default_factory=worker_id)
    lease: timedelta = timedelta(seconds=60)
    concurrency: int = 8
    platforms: frozenset[str] | None = None
    """Only claim rows for these platforms' workspaces (None: all). The console delivers its
    own workspace's messages; a server leaves them alone."""
    stats: Stats = field(default_factory=Stats)
    stopping: bool = False
    on_dead: Callable[[Delivery, str], Awaitable[None]] | None = None
    """Told when a message fails for good, so the engine can act (pause, tell someone)."""

    async def deliver_due(self, *, limit: int | None = None) -> int:
        """Claim and send one batch of what is due now. Returns how many were sent."""
        return (await self.deliver_batch(limit=limit))[1]

    async def deliver_batch(self, *, limit: int | None = None) -> tuple[int, int]:
        """Claim a batch and work through it: (rows claimed, messages sent).

        Batches are small (a few per conversation slot) so that several processes share a
        backlog instead of one taking it all.
        """
        claims = await self._claim(limit or self.concurrency * 4)
        if not claims:
            return 0, 0
        # Messages to one conversation go in order; conversations go side by side.
        queues: dict[str, list[Claim]] = {}
        conversation = await self._conversations([c.outbox_id for c in claims])
        for claim in claims:
            queues.setdefault(conversation.get(claim.outbox_id, "none"), []).append(claim)
        gate = asyncio.Semaphore(self.concurrency)

        async def run(queue: list[Claim]) -> int:
            sent = 0
            async with gate:
                for claim in queue:
                    if self.stopping:
                        await self._finish(claim.outbox_id, status=OutboxStatus.PENDING)
                        continue
                    sent += await self._deliver(claim)
            return sent

        # Every queue runs to its end even if another fails (the database dropping, say):
        # one left running while the next batch starts could hold rows we claim again.
        results = await asyncio.gather(*(run(q) for q in queues.values()), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return len(claims), sum(r for r in results if isinstance(r, int))

    async def drain(self, *, rounds: int = 50) -> int:
        """Deliver until nothing due is left (tests, the console, the benchmarks)."""
        total = 0
        for _ in range(rounds):
            claimed, sent = await self.deliver_batch()
            total += sent
            if claimed == 0:
                break
        return total

    def stop(self) -> None:
        """Stop taking work: the current batch finishes what is in flight and releases the
        rest of its claims at once, rather than leaving them to a lease expiry."""
        self.stopping = True

    async def _claim(self, limit: int) -> list[Claim]:
        now = self.clock.now()
        async with self.sessions.begin() as session:
            query = (
                select(OutboxMessage.id, OutboxMessage.status)
                .where(_due(now))
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(limit)
            )
            if self.platforms is not None:
                query = query.where(
                    OutboxMessage.workspace_id.in_(
                        select(Workspace.id).where(Workspace.platform.in_(self.platforms))
                    )
                )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidates = (await session.execute(query)).all()
            if not candidates:
                return []
            claimed = set(
                (
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_([c[0] for c in candidates]), _due(now))
                        .values(
                            status=OutboxStatus.SENDING,
                            leased_by=self.worker,
                            lease_expires_at=now + self.lease,
                        )
                        .returning(OutboxMessage.id)
                        .execution_options(synchronize_session=False)
                    )
                )
                .scalars()
                .all()
            )
        return [
            Claim(outbox_id=i, recovered=status == OutboxStatus.SENDING)
            for i, status in candidates
            if i in claimed
        ]

    async def _conversations(self, ids: list[int]) -> dict[int, str]:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.channel,
                        OutboxMessage.person_id,
                        OutboxMessage.pair_id,
                    ).where(OutboxMessage.id.in_(ids))
                )
            ).all()
        return {
            i: (f"channel:{c}" if c else f"person:{p}" if p else f"pair:{q}") for i, c, p, q in rows
        }

    async def _untrue(self, session: AsyncSession, stored: object) -> str | None:
        """Why a row's message is no longer true (its first hold that fails), or None."""
        for hold in holds.decode(stored):
            check = self.conditions.get(hold.what)
            if check is None:
                return f"it depends on something this version does not know ({hold.what})"
            reason = await check(session, hold.fields)
            if reason is not None:
                return reason
        return None

    async def _renew(self, outbox_id: int) -> bool | str:
        """Extend our lease just before sending: False if the row is no longer ours, or why
        its message is no longer true (its holds are checked again, in this transaction)."""
        now = self.clock.now()
        async with self.sessions.begin() as session:
            stored = await session.scalar(
                select(OutboxMessage.holds).where(OutboxMessage.id == outbox_id)
            )
            untrue = await self._untrue(session, stored) if stored else None
            if untrue is not None:
                return untrue
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == outbox_id,
                    OutboxMessage.leased_by == self.worker,
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.lease_expires_at > now,
                )
                .values(lease_expires_at=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def _finish(self, outbox_id: int, **values: Any) -> bool:
        """Record an outcome, only if this worker still holds the lease."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == outbox_id,
                    OutboxMessage.leased_by == self.worker,
                    OutboxMessage.status == OutboxStatus.SENDING,
                )
                .values(
                    lease_expires_at=None,
                    # A sent row keeps who sent it; anything else is free for anyone.
                    leased_by=self.worker if values.get("status") == OutboxStatus.SENT else None,
                    **values,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def _prepare(self, claim: Claim) -> Delivery | str | datetime | None:
        """The delivery, or why not now: "skip:<reason>", a later time, or None (lost lease)."""
        now = self.clock.now()
        async with self.sessions() as session:
            row = await session.get(OutboxMessage, claim.outbox_id)
            if row is None or row.status != OutboxStatus.SENDING or row.leased_by != self.worker:
                return None
            if row.expires_at is not None and row.expires_at <= now:
                return "skip:stale: its moment passed while it waited"
            untrue = await self._untrue(session, row.holds)
            if untrue is not None:
                return f"skip:{untrue}"
            workspace = await session.get(Workspace, row.workspace_id)
            person = await session.get(Person, row.person_id) if row.person_id else None
            pair = await session.get(Pair, row.pair_id) if row.pair_id else None
            if workspace is None:
                return "skip:the workspace is gone"
            message = await rendering.render(
                rendering.Job(
                    session=session,
                    row=row,
                    pair=pair,
                    person=person,
                    library=self.library,
                    now=now,
                    settings=self.settings,
                ),
                self.renderers,
            )
            if message is None:
                return "skip:no longer needed"
            delivery = Delivery(
                outbox_id=row.id,
                key=row.idempotency_key,
                workspace=workspace,
                message=message,
                person=person,
                pair=pair,
                channel=row.channel,
                attempt=row.attempts + 1,
            )
            if row.timing == "working" and delivery.recipients:
                hours = pair.programme.settings.get("working_hours") if pair else None
                quiet = workspace.settings.get("quiet_days", [])
                shared = delivery.person is None
                readers = [
                    timing.reader(p, quiet_days=quiet, programme_hours=hours, snooze=not shared)
                    for p in delivery.recipients
                ]
                slot = timing.next_slot(readers, now)
                if slot > now + DEFER_TOLERANCE:
                    return slot
            return delivery

    async def _skip(self, claim: Claim, reason: str) -> int:
        """Not sent, for good: the row is recorded as skipped, with the reason."""
        self.stats.skipped += 1
        await self._finish(claim.outbox_id, status=OutboxStatus.SKIPPED, last_error=reason)
        return 0

    async def _deliver(self, claim: Claim) -> int:
        with logcontext.about(outbox_id=claim.outbox_id):
            return await self._deliver_claim(claim)

    async def _deliver_claim(self, claim: Claim) -> int:
        prepared = await self._prepare(claim)
        if prepared is None:
            return 0
        if isinstance(prepared, str):
            return await self._skip(claim, prepared.removeprefix("skip:"))
        if isinstance(prepared, datetime):
            self.stats.deferred += 1
            await self._finish(claim.outbox_id, status=OutboxStatus.PENDING, not_before=prepared)
            return 0
        delivery = prepared
        logcontext.bind(
            platform=delivery.workspace.platform, workspace=delivery.workspace.external_id
        )
        confirm = getattr(self.transport, "confirm", None)
        if claim.recovered and confirm is not None:
            already = await confirm(delivery)
            if already:
                await self._finish(
                    claim.outbox_id,
                    status=OutboxStatus.SENT,
                    platform_message_id=already,
                    sent_at=self.clock.now(),
                )
                return 0
        renewed = await self._renew(claim.outbox_id)
        if isinstance(renewed, str):
            return await self._skip(claim, renewed)
        if not renewed:
            # Our turn came after the lease ran out and another process has taken this row
            # over: it will send it, so we must not.
            return 0
        if self.limiter is not None:
            # Last before the send, so the platform sees messages spaced as we counted them.
            await self.limiter.acquire(
                platform=delivery.workspace.platform,
                conversation=delivery.conversation,
                workspace=str(delivery.workspace.id),
            )
        try:
            platform_id = await self.transport.send(delivery)
        except DeliveryError as exc:
            if exc.person is not None and delivery.person is None:
                delivery = replace(delivery, person=exc.person)  # so the engine knows who
            await self._failed(
                delivery, str(exc), retry_after=exc.retry_after, permanent=exc.permanent
            )
            return 0
        except Exception as exc:  # an adapter's bug must not stop the queue
            log.exception("transport failed on outbox row %s", delivery.outbox_id)
            await self._failed(
                delivery, f"{type(exc).__name__}: {exc}", retry_after=None, permanent=False
            )
            return 0
        await self._finish(
            claim.outbox_id,
            status=OutboxStatus.SENT,
            sent_at=self.clock.now(),
            platform_message_id=platform_id,
            attempts=delivery.attempt,
            last_error=None,
        )
        self.stats.sent += 1
        return 1

    async def _failed(
        self, delivery: Delivery, reason: str, *, retry_after: float | None, permanent: bool
    ) -> None:
        self.stats.failed += 1
        if retry_after is not None:
            self.stats.rate_limited += 1
        if permanent or delivery.attempt >= MAX_ATTEMPTS:
            self.stats.dead += 1
            log.warning(
                "outbox row %s dead after %s attempts: %s",
                delivery.outbox_id,
                delivery.attempt,
                reason,
            )
            await self._finish(
                delivery.outbox_id,
                status=OutboxStatus.DEAD,
                attempts=delivery.attempt,
                last_error=reason[:2000],
            )
            if self.on_dead is not None:
                try:
                    await self.on_dead(delivery, reason)
                except Exception:
                    log.exception(
                        "handling the failure of outbox row %s failed", delivery.outbox_id
                    )
            return
        wait = retry_after if retry_after is not None else backoff(delivery.attempt)
        await self._finish(
            delivery.outbox_id,
            status=OutboxStatus.PENDING,
            attempts=delivery.attempt,
            last_error=reason[:2000],
            not_before=self.clock.now() + timedelta(seconds=wait),
        )
