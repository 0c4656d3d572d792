"""APScheduler only ticks; the durable schedule lives in the database.

Each process runs an ``AsyncIOScheduler`` with an in-memory job store and one
job, *plan* (every ``TICK_SECONDS``: queue what has fallen due), plus a
delivery loop that sends what is due, in small batches, and rests
``DISPATCH_SECONDS`` when there is nothing to send. APScheduler 3 cannot share
a job store between processes, and does not need to: several instances on one
PostgreSQL coordinate through row claims, so each message goes out once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from conversations.delivery import Dispatcher
from storage.outage import database_unreachable, reason

log = logging.getLogger(__name__)
STOP_SECONDS = 10.0
"""How long stopping waits for a tick to commit and in-flight sends to be recorded; one
stuck longer is cancelled, and its lease lets another instance confirm and finish it."""


class Ticker:
    def __init__(self, app: App, dispatcher: Dispatcher | None) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._delivery: asyncio.Task[None] | None = None
        self._planning: asyncio.Task[object] | None = None
        self._wake = asyncio.Event()

    @property
    def worker(self) -> str:
        return self.dispatcher.worker if self.dispatcher else "(planning only)"

    def wake(self) -> None:
        """Something was just queued: deliver now rather than at the next rest's end."""
        self._wake.set()

    async def plan(self) -> None:
        self._planning = asyncio.current_task()
        started = time.perf_counter()
        try:
            queued = await self.app.engine.tick()
        except Exception as exc:
            if database_unreachable(exc):  # one line per tick while it is away, not a trace
                log.warning("planning skipped, the database is unreachable: %s", reason(exc))
            else:
                log.exception("planning tick failed; the next tick will retry")
            return
        finally:
            self._planning = None
            self.app.metrics.tick.observe(time.perf_counter() - started)
        if queued:
            log.info("planned %s message(s)", queued)
            self._wake.set()

    async def _deliver_forever(self, dispatcher: Dispatcher) -> None:
        while not dispatcher.stopping:
            try:
                claimed, _ = await dispatcher.deliver_batch()
            except Exception as exc:
                if database_unreachable(exc):
                    log.warning("delivery paused, the database is unreachable: %s", reason(exc))
                else:
                    log.exception("delivery failed; retrying shortly")
                claimed = 0
            if claimed == 0 and not dispatcher.stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake.wait(), timeout=self.app.settings.dispatch_seconds
                    )

    def start(self) -> None:
        self._scheduler.add_job(
            self.plan,
            "interval",
            seconds=self.app.settings.tick_seconds,
            id="plan",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            # Plan at once: after downtime, what is still useful goes now.
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()
        if self.dispatcher is not None:
            self.app.metrics.delivery = self.dispatcher.stats
            self._delivery = asyncio.create_task(self._deliver_forever(self.dispatcher))

    async def stop(self) -> None:
        """Stop planning, let in-flight sends finish, and release unstarted claims."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self._wake.set()
        waiting = [t for t in (self._planning, self._delivery) if t is not None]
        if waiting:
            # Let a tick in progress commit and in-flight sends finish before the database
            # closes under them; a stuck one is cancelled rather than holding shutdown.
            _, stuck = await asyncio.wait(waiting, timeout=STOP_SECONDS)
            for task in stuck:
                task.cancel()
