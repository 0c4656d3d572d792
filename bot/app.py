"""Builds the running pieces (database, engine, dispatcher) from settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import platforms
from bot.config import Settings
from bot.metrics import Metrics
from conversations.clock import Clock, SystemClock
from conversations.context import EngineSettings
from conversations.curriculum import Library
from conversations.delivery import Dispatcher, Transport
from conversations.engine import Engine
from conversations.ratelimit import RateLimiter
from storage import db, migrate


@dataclass(slots=True)
class App:
    settings: Settings
    database: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    engine: Engine
    clock: Clock
    metrics: Metrics = field(default_factory=Metrics)
    """This process's counters for ``GET /metrics``."""
    inflight: set[asyncio.Task[object]] = field(default_factory=set)
    """Work a platform handed us after its request was answered (bolt acks first)."""

    def track(self) -> None:
        """Count the running task as in flight until it ends, so shutdown waits for it."""
        task = asyncio.current_task()
        if task is not None and task not in self.inflight:
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)

    async def settle(self, *, within: float) -> int:
        """Let in-flight work finish (its reply sent, its transaction committed); returns how
        many were still running at the timeout and were left to be cancelled."""
        current = asyncio.current_task()
        waiting = [task for task in self.inflight if task is not current]
        if not waiting:
            return 0
        _, stuck = await asyncio.wait(waiting, timeout=within)
        return len(stuck)

    def dispatcher(
        self,
        transport: Transport,
        *,
        concurrency: int | None = None,
        limiter: RateLimiter | None = None,
        platforms: frozenset[str] | None = None,
    ) -> Dispatcher:
        """A dispatcher for this app's database, clock, curricula and outbox settings."""
        return Dispatcher(
            sessions=self.sessions,
            clock=self.clock,
            transport=transport,
            library=self.engine.library,
            settings=self.engine.settings,
            renderers=self.engine.registry.renderers,
            conditions=self.engine.registry.conditions,
            groups=self.engine.registry.groups,
            forms=frozenset(self.engine.registry.forms),
            limiter=limiter,
            concurrency=concurrency or self.settings.outbox_concurrency,
            platforms=platforms,
            lease=timedelta(seconds=self.settings.outbox_lease_seconds),
            on_dead=self.engine.delivery_failed,
        )

    async def close(self) -> None:
        await self.database.dispose()


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    upgrade: bool = True,
    library: Library | None = None,
) -> App:
    """Connect, migrate (unless told not to) and assemble the engine."""
    db.ensure_sqlite_directory(settings.database_url)
    database = db.create_engine(settings.database_url)
    if upgrade:
        await migrate.upgrade(database)
    sessions = db.session_factory(database)
    clock = clock or SystemClock()
    engine = Engine(
        sessions=sessions,
        clock=clock,
        library=library or Library.load(),
        settings=EngineSettings(
            default_timezone=settings.default_timezone,
            digest_min_group=settings.digest_min_group,
            concern_escalation_minutes=settings.concern_escalation_minutes,
            retention_days=settings.retention_days,
        ),
    )
    # Each platform's own tables hold personal data too; their hooks join the engine's.
    platforms.register(engine.registry)
    return App(settings=settings, database=database, sessions=sessions, engine=engine, clock=clock)
