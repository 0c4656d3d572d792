"""The tick: run every registered timed job in one transaction, and count what it did.

The jobs live with their features (``@timed`` in ``conversations.features.*``); most are
one ``UPDATE … WHERE <due> RETURNING`` over durable due times followed by one bulk insert
of planned outbox rows, rendered when they are sent (``conversations.rendering``), so a
tick touches only rows that are due, however many pairs exist. This module holds what
they share: the bulk insert that skips keys already queued, and the shape of a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.context import EngineSettings
from conversations.curriculum import Library
from conversations.holds import Hold, encode
from conversations.registry import Registry, Tick
from storage import repositories as repo
from storage.models import OutboxMessage, OutboxStatus, Programme


@dataclass
class Plan:
    """How many of each kind this tick queued (for logs, metrics and tests)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def insert_ignoring(session: AsyncSession, table: Any, keys: list[str]) -> Any:
    """An INSERT that skips rows whose ``keys`` already exist, on SQLite and PostgreSQL."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)


async def insert_planned(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Bulk insert outbox rows, skipping keys already queued. Returns how many were new.

    One statement executed with many parameter sets (SQLAlchemy batches them into
    multi-row inserts), rather than a fresh statement built per chunk.
    """
    if not rows:
        return 0
    statement = insert_ignoring(session, OutboxMessage, ["idempotency_key"]).returning(
        OutboxMessage.id
    )
    result = await session.execute(statement, list(rows))
    return len(result.all())


def planned_row(
    *,
    workspace_id: int,
    key: str,
    kind: str,
    now: datetime,
    ref_index: int,
    holds: Sequence[Hold],
    pair_id: int | None = None,
    person_id: int | None = None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """One planned outbox row, for :func:`insert_planned`; ``holds`` says what must still be
    true when it is sent."""
    return {
        "holds": encode(holds),
        "workspace_id": workspace_id,
        "idempotency_key": key,
        "kind": kind,
        "payload": {},
        "planned": True,
        "person_id": person_id,
        "pair_id": pair_id,
        "channel": None,
        "ref_index": ref_index,
        "timing": "working",
        "expires_at": expires_at,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }


async def running_in(tick: Tick) -> list[Programme]:
    """The running programmes, read once per tick however many jobs ask."""
    if "running" not in tick.shared:
        tick.shared["running"] = await running_programmes(tick.session)
    found: list[Programme] = tick.shared["running"]
    return found


async def running_programmes(session: AsyncSession) -> list[Programme]:
    return list(
        await session.scalars(
            select(Programme)
            .where(Programme.status.in_(repo.RUNNING_PROGRAMMES))
            .order_by(Programme.id)
        )
    )


async def plan(
    session: AsyncSession,
    *,
    registry: Registry,
    library: Library,
    now: datetime,
    settings: EngineSettings | None = None,
) -> Plan:
    """Everything due at ``now``, queued. Safe to run from several processes at once."""
    result = Plan()
    tick = Tick(
        session=session,
        now=now,
        library=library,
        settings=settings or EngineSettings(),
        registry=registry,
    )
    for job in registry.jobs:
        result.add(job.name, await job.run(tick))
    return result
