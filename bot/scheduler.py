"""APScheduler only ticks; the durable schedule lives in the database.

Each process runs an ``AsyncIOScheduler`` with an in-memory job store and two
jobs: *plan* (every ``TICK_SECONDS``: queue what has fallen due) and *dispatch*
(every ``DISPATCH_SECONDS``: send what is due). APScheduler 3 cannot share a
job store between processes, and does not need to: several instances on one
PostgreSQL coordinate through row claims, so each message goes out once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from conversations.delivery import Dispatcher

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, app: App, dispatcher: Dispatcher | None) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    async def plan(self) -> None:
        try:
            queued = await self.app.engine.tick()
            if queued:
                log.info("planned %s message(s)", queued)
        except Exception:
            log.exception("planning tick failed; the next tick will retry")

    @property
    def worker(self) -> str:
        return self.dispatcher.worker if self.dispatcher else "(planning only)"

    async def dispatch(self) -> None:
        if self.dispatcher is None:
            return
        try:
            await self.dispatcher.deliver_due()
        except Exception:
            log.exception("dispatch failed; the next run will retry")

    def start(self) -> None:
        settings = self.app.settings
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self._scheduler.add_job(
            self.plan,
            "interval",
            seconds=settings.tick_seconds,
            id="plan",
            next_run_time=None,
            **common,
        )
        self._scheduler.add_job(
            self.dispatch, "interval", seconds=settings.dispatch_seconds, id="dispatch", **common
        )
        self._scheduler.start()
        # Plan once straight away: after downtime, what is still useful goes out now.
        self._scheduler.modify_job("plan", next_run_time=datetime.now(UTC))

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
