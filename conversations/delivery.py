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

Rows to one person of a kind declared ``@renders(..., grouped=...)`` that fall due together
go as one card (``conversations.grouping``) under the first row's key, which each of them
records just before the send (``travels_with``), so a recovery asks the platform about it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversations import grouping, holds, logcontext, removal, rendering, timing
from conversations.clock import Clock
from conversations.context import EngineSettings
from conversations.curriculum import Library
from conversations.grouping import Header
from conversations.holds import Hold
from conversations.kinds import Kind
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
    holds: tuple[Hold, ...] = ()
    """What must still be true when it is sent, as queued (checked again just before)."""

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


class Removed(DeliveryError):
    """The bot is no longer where this message goes: the app was uninstalled from the
    workspace or its token revoked (``workspace``), or the person removed it from their own
    chat. Nothing will make it go there, so the message is skipped with this reason rather
    than retried or counted as failed, and nobody is told through that same place; with
    ``workspace`` the whole workspace is recorded as removed (:mod:`conversations.removal`),
    so nothing else is tried there until the bot is back."""

    def __init__(self, reason: str, *, workspace: bool = False) -> None:
        super().__init__(reason, permanent=True)
        self.workspace = workspace


def backoff(attempt: int, *, base: float = 5.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter, in seconds."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


@dataclass(frozen=True, slots=True)
class Claim:
    outbox_id: int
    recovered: bool
    """Claimed from a process whose lease ran out: it may already have been sent."""
    conversation: str = "none"
    """Where it lands (``Delivery.conversation``): messages to one go in order."""
    group: tuple[int, str] | None = None
    """(person, kind) when it may travel in one card with others of its kind to that
    person (a kind declared ``@renders(..., grouped=...)``)."""
    travels_with: str | None = None
    """The key of the grouped card it was last about to go out in (the first row's): what
    a recovery asks the platform about. None: its own key."""


class _Row(NamedTuple):
    """What claiming reads of a due row."""

    id: int
    status: str
    channel: str | None
    person_id: int | None
    pair_id: int | None
    kind: str
    planned: bool
    travels_with: str | None

    @property
    def conversation(self) -> str:
        if self.channel:
            return f"channel:{self.channel}"
        return f"person:{self.person_id}" if self.person_id else f"pair:{self.pair_id}"


def _units(claims: Sequence[Claim]) -> list[list[Claim]]:
    """The claims in order, each alone or, for rows that may travel together, with the
    others of its group (at the place of the first)."""
    units: list[list[Claim]] = []
    groups: dict[tuple[int, str], list[Claim]] = {}
    for claim in claims:
        if claim.group is None:
            units.append([claim])
        elif claim.group in groups:
            groups[claim.group].append(claim)
        else:
            groups[claim.group] = [claim]
            units.append(groups[claim.group])
    return units


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
    groups: Mapping[str, Header] = field(default_factory=lambda: Registry.discover().groups)
    """Kinds whose rows to one person that fall due together go as one card, and its header
    (the engine's registry's groups)."""
    forms: Collection[str] = field(default_factory=lambda: set(Registry.discover().forms))
    """Forms the engine can build again from their submit action: a grouped card can offer
    these with a button that opens them (the engine's registry's forms)."""
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
        """Claim a batch and work through it: (rows claimed, rows sent).

        Batches are small (a few per conversation slot) so that several processes share a
        backlog instead of one taking it all.
        """
        claims = await self._claim(limit or self.concurrency * 4)
        if not claims:
            return 0, 0
        # Messages to one conversation go in order; conversations go side by side.
        queues: dict[str, list[list[Claim]]] = {}
        for unit in _units(claims):
            queues.setdefault(unit[0].conversation, []).append(unit)
        gate = asyncio.Semaphore(self.concurrency)

        async def run(queue: list[list[Claim]]) -> int:
            sent = 0
            async with gate:
                for unit in queue:
                    if self.stopping:
                        for claim in unit:
                            await self._finish(claim.outbox_id, status=OutboxStatus.PENDING)
                        continue
                    if len(unit) == 1:
                        sent += await self._deliver(unit[0])
                    else:
                        sent += await self._deliver_group(unit)
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
        """Lease up to ``limit`` due rows, and with them every other due row that may travel
        in one card with one of them (same person, same grouped kind)."""
        now = self.clock.now()
        columns = (
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.channel,
            OutboxMessage.person_id,
            OutboxMessage.pair_id,
            OutboxMessage.kind,
            OutboxMessage.planned,
            OutboxMessage.travels_with,
        )
        async with self.sessions.begin() as session:
            postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
            query = (
                select(*columns)
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
            if postgres:
                query = query.with_for_update(skip_locked=True)
            candidates = [_Row(*row) for row in (await session.execute(query)).all()]
            if not candidates:
                return []
            groups = {g for g in (self._group(c) for c in candidates) if g is not None}
            if groups:
                # The rest of each group: the same person, already in these platforms.
                taken = [c.id for c in candidates]
                more = (
                    select(*columns)
                    .where(
                        _due(now),
                        OutboxMessage.planned.is_(True),
                        OutboxMessage.channel.is_(None),
                        OutboxMessage.person_id.in_({person for person, _ in groups}),
                        OutboxMessage.kind.in_({kind for _, kind in groups}),
                        OutboxMessage.id.not_in(taken),
                    )
                    .order_by(OutboxMessage.not_before, OutboxMessage.id)
                    .limit(grouping.MAX_LINES * len(groups))
                )
                if postgres:
                    more = more.with_for_update(skip_locked=True)
                candidates += [
                    row
                    for row in (_Row(*found) for found in (await session.execute(more)).all())
                    if self._group(row) in groups
                ]
            claimed = set(
                (
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_([c.id for c in candidates]), _due(now))
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
            Claim(
                outbox_id=c.id,
                recovered=c.status == OutboxStatus.SENDING,
                conversation=c.conversation,
                group=self._group(c),
                travels_with=c.travels_with,
            )
            for c in candidates
            if c.id in claimed
        ]

    def _group(self, row: _Row) -> tuple[int, str] | None:
        """(person, kind) when the row may travel in one card with others like it."""
        grouped = row.planned and row.channel is None and row.kind in self.groups
        return (row.person_id, row.kind) if grouped and row.person_id is not None else None

    async def _untrue(self, session: AsyncSession, held: Sequence[Hold]) -> str | None:
        """Why a row's message is no longer true (its first hold that fails), or None."""
        for hold in held:
            check = self.conditions.get(hold.what)
            if check is None:
                return f"it depends on something this version does not know ({hold.what})"
            reason = await check(session, hold.fields)
            if reason is not None:
                return reason
        return None

    async def _renew(
        self, batch: Sequence[tuple[Claim, Delivery]]
    ) -> tuple[list[int], dict[int, str]]:
        """Extend our lease on rows that go out together, just before the send, and record on
        each the key they go out under (``travels_with``): the first's that is still ours;
        none (its own) for a row that goes alone.

        Returns the rows still ours and true, in order, and why each other's message is no
        longer true (their holds are checked again, in this transaction). A row in neither
        is no longer ours."""
        if len(batch) == 1:
            return await self._renew_one(*batch[0])
        now = self.clock.now()
        untrue: dict[int, str] = {}
        async with self.sessions.begin() as session:
            for claim, delivery in batch:
                reason = await self._untrue(session, delivery.holds)
                if reason is not None:
                    untrue[claim.outbox_id] = reason
            true = [(c.outbox_id, d.key) for c, d in batch if c.outbox_id not in untrue]
            if not true:
                return [], untrue
            renewed = set(
                (
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_([i for i, _ in true]), *self._leased(now))
                        .values(lease_expires_at=now + self.lease, travels_with=true[0][1])
                        .returning(OutboxMessage.id)
                        .execution_options(synchronize_session=False)
                    )
                )
                .scalars()
                .all()
            )
            kept = [i for i, _ in true if i in renewed]
            lead = next((key for i, key in true if i in renewed), None)
            if kept and lead != true[0][1]:  # the first is no longer ours: the next leads
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(kept))
                    .values(travels_with=lead)
                    .execution_options(synchronize_session=False)
                )
            return kept, untrue

    async def _renew_one(
        self, claim: Claim, delivery: Delivery
    ) -> tuple[list[int], dict[int, str]]:
        """``_renew`` for a row that goes alone (most rows: kept to two statements)."""
        now = self.clock.now()
        async with self.sessions.begin() as session:
            untrue = await self._untrue(session, delivery.holds)
            if untrue is not None:
                return [], {claim.outbox_id: untrue}
            values: dict[str, Any] = {"lease_expires_at": now + self.lease}
            if claim.travels_with is not None:
                values["travels_with"] = None  # it once travelled in a card; now alone
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == claim.outbox_id, *self._leased(now))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return ([claim.outbox_id] if getattr(result, "rowcount", 0) else []), {}

    def _leased(self, now: datetime) -> tuple[Any, ...]:
        """Still leased by us, and the lease not run out."""
        return (
            OutboxMessage.leased_by == self.worker,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.lease_expires_at > now,
        )

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
            untrue = await self._untrue(session, holds.decode(row.holds))
            if untrue is not None:
                return f"skip:{untrue}"
            workspace = await session.get(Workspace, row.workspace_id)
            person = await session.get(Person, row.person_id) if row.person_id else None
            pair = await session.get(Pair, row.pair_id) if row.pair_id else None
            if workspace is None:
                return "skip:the workspace is gone"
            if workspace.removed_at is not None:
                return f"skip:{removal.skip_reason(workspace)}"
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
                holds=tuple(holds.decode(row.holds)),
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
        delivery = await self._ready(claim)
        if delivery is None:
            return 0
        return await self._send([(claim, delivery)])

    async def _deliver_group(self, claims: Sequence[Claim]) -> int:
        """Rows of one grouped kind to one person, due together: each is prepared on its own
        (skipped, deferred or already sent as it would be alone); those ready go as one
        card, or a few when they are too many for one (``grouping.batches``)."""
        ready: list[tuple[Claim, Delivery]] = []
        for claim in claims:
            with logcontext.about(outbox_id=claim.outbox_id):
                delivery = await self._ready(claim)
            if delivery is not None:
                ready.append((claim, delivery))
        together = [item for item in ready if grouping.combinable(item[1].message, self.forms)]
        batches = [[item] for item in ready if item not in together]
        batches += grouping.batches(together, lambda item: item[1].message)
        sent = 0
        for batch in batches:
            with logcontext.about(outbox_id=batch[0][0].outbox_id):
                sent += await self._send(batch)
        return sent

    async def _ready(self, claim: Claim) -> Delivery | None:
        """The row's delivery, or None when it is not to be sent now: skipped or deferred
        (and recorded so), no longer ours, or found already sent after a crash."""
        prepared = await self._prepare(claim)
        if prepared is None:
            return None
        if isinstance(prepared, str):
            await self._skip(claim, prepared.removeprefix("skip:"))
            return None
        if isinstance(prepared, datetime):
            self.stats.deferred += 1
            await self._finish(claim.outbox_id, status=OutboxStatus.PENDING, not_before=prepared)
            return None
        delivery = prepared
        logcontext.bind(
            platform=delivery.workspace.platform, workspace=delivery.workspace.external_id
        )
        confirm = getattr(self.transport, "confirm", None)
        if claim.recovered and confirm is not None:
            # It may have travelled in a card under another row's key: ask about that one.
            key = claim.travels_with or delivery.key
            already = await confirm(replace(delivery, key=key))
            if already:
                await self._finish(
                    claim.outbox_id,
                    status=OutboxStatus.SENT,
                    platform_message_id=already,
                    sent_at=self.clock.now(),
                )
                return None
        return delivery

    async def _send(self, batch: Sequence[tuple[Claim, Delivery]]) -> int:
        """Send one row's message, or several rows' as one card under the first's key;
        returns how many rows were sent."""
        kept, untrue = await self._renew(batch)
        for claim, _ in batch:
            if claim.outbox_id in untrue:
                await self._skip(claim, untrue[claim.outbox_id])
        going = [(claim, delivery) for claim, delivery in batch if claim.outbox_id in kept]
        if not going:
            # Our turn came after the lease ran out and another process has taken these rows
            # over: it will send them, so we must not.
            return 0
        claim, delivery = going[0]
        if len(going) > 1:
            assert claim.group is not None
            kind = claim.group[1]
            card = grouping.combine(
                [d.message for _, d in going], header=self.groups[kind](len(going)), kind=Kind(kind)
            )
            delivery = replace(delivery, message=card, pair=None)  # about several pairs
        if self.limiter is not None:
            # Last before the send, so the platform sees messages spaced as we counted them.
            await self.limiter.acquire(
                platform=delivery.workspace.platform,
                conversation=delivery.conversation,
                workspace=str(delivery.workspace.id),
            )
        rows = [d for _, d in going]
        try:
            platform_id = await self.transport.send(delivery)
        except Removed as exc:
            await self._gone(going, delivery, exc)
            return 0
        except DeliveryError as exc:
            if exc.person is not None and delivery.person is None:
                delivery = replace(delivery, person=exc.person)  # so the engine knows who
                rows = [replace(d, person=exc.person) for d in rows]
            await self._failed(
                rows, delivery, str(exc), retry_after=exc.retry_after, permanent=exc.permanent
            )
            return 0
        except Exception as exc:  # an adapter's bug must not stop the queue
            log.exception("transport failed on outbox row %s", delivery.outbox_id)
            await self._failed(
                rows, delivery, f"{type(exc).__name__}: {exc}", retry_after=None, permanent=False
            )
            return 0
        await self._sent([d.outbox_id for d in rows], platform_id)
        self.stats.sent += len(rows)
        return len(rows)

    async def _gone(
        self, going: Sequence[tuple[Claim, Delivery]], delivery: Delivery, exc: Removed
    ) -> None:
        """The bot was removed from where ``delivery`` goes: its rows are skipped, with the
        reason; with the workspace gone, it is recorded so, and each of its rows that falls
        due from now on is skipped before anything is tried (see ``_prepare``)."""
        reason = str(exc)
        log.warning("outbox row %s not sent, the bot was removed: %s", delivery.outbox_id, reason)
        if exc.workspace:
            async with self.sessions.begin() as session:
                await removal.removed_by_id(
                    session, delivery.workspace.id, reason=reason, now=self.clock.now()
                )
                workspace = await session.get(Workspace, delivery.workspace.id)
                if workspace is not None:
                    reason = removal.skip_reason(workspace)
        for claim, _ in going:
            await self._skip(claim, reason[:2000])

    async def _sent(self, outbox_ids: Sequence[int], platform_id: str | None) -> None:
        """Record rows as sent (one message: one platform id), in one transaction."""
        # One row (most): "=", which SQLAlchemy need not rewrite for each list as it does "IN".
        which = (
            OutboxMessage.id.in_(outbox_ids)
            if len(outbox_ids) > 1
            else OutboxMessage.id == outbox_ids[0]
        )
        async with self.sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    which,
                    OutboxMessage.leased_by == self.worker,
                    OutboxMessage.status == OutboxStatus.SENDING,
                )
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock.now(),
                    platform_message_id=platform_id,
                    attempts=OutboxMessage.attempts + 1,
                    lease_expires_at=None,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )

    async def _failed(
        self,
        rows: Sequence[Delivery],
        sent: Delivery,
        reason: str,
        *,
        retry_after: float | None,
        permanent: bool,
    ) -> None:
        """``sent`` (the message of ``rows``, one or a grouped card) failed: each row is
        retried or dead on its own attempts, all after the same wait, so a card tried again
        goes again as one."""
        self.stats.failed += len(rows)
        if retry_after is not None:
            self.stats.rate_limited += 1
        wait = retry_after if retry_after is not None else backoff(sent.attempt)
        dead: list[Delivery] = []
        for row in rows:
            if permanent or row.attempt >= MAX_ATTEMPTS:
                self.stats.dead += 1
                log.warning(
                    "outbox row %s dead after %s attempts: %s", row.outbox_id, row.attempt, reason
                )
                await self._finish(
                    row.outbox_id,
                    status=OutboxStatus.DEAD,
                    attempts=row.attempt,
                    last_error=reason[:2000],
                )
                dead.append(row)
            else:
                await self._finish(
                    row.outbox_id,
                    status=OutboxStatus.PENDING,
                    attempts=row.attempt,
                    last_error=reason[:2000],
                    not_before=self.clock.now() + timedelta(seconds=wait),
                )
        if dead and self.on_dead is not None:
            # Told once, about the message that failed (a card for many rows: one notice).
            told = replace(sent, outbox_id=dead[0].outbox_id)
            try:
                await self.on_dead(told, reason)
            except Exception:
                log.exception("handling the failure of outbox row %s failed", told.outbox_id)
