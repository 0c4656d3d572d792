"""What a long-running process (``serve`` or ``worker``) runs besides HTTP: the ticker."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from aiohttp import web

from bot import platforms
from bot.app import App
from bot.scheduler import Ticker
from bot.transports import Router
from conversations.ratelimit import RateLimiter

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    app: App
    ticker: Ticker
    transport: Router | None

    async def close(self) -> None:
        await self.ticker.stop()
        close = getattr(self.transport, "close", None)
        if close is not None:
            await close()


def transport_for(app: App, configs: platforms.Configs | None = None) -> Router | None:
    """The transports this process delivers through, by platform (None: none configured);
    ``configs`` are the configured platforms' (default: from settings)."""
    if configs is None:
        configs = platforms.configured(app.settings)
    return platforms.transports(app, configs)


def start(app: App, configs: platforms.Configs | None = None) -> Runtime:
    transport = transport_for(app, configs)
    if transport is None:
        log.warning(
            "no delivery transport is configured (OUTBOX_WEBHOOK_URL): messages are "
            "planned and kept in the outbox until one is"
        )
    limiter = RateLimiter(platforms.rate_policies(app.settings))
    dispatcher = (
        app.dispatcher(transport, limiter=limiter, platforms=transport.platforms)
        if transport is not None
        else None
    )
    ticker = Ticker(app, dispatcher)
    ticker.start()
    return Runtime(app=app, ticker=ticker, transport=transport)


async def run_worker(app: App) -> int:
    """Plan and deliver until SIGTERM or SIGINT: the ``worker`` process."""
    runtime = start(app)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    operations = await _serve_operations(app) if app.settings.metrics_port else None
    log.info("worker %s running", runtime.ticker.worker)
    await stopped.wait()
    if operations is not None:
        await operations.cleanup()
    await runtime.close()
    await app.close()
    return 0


async def _serve_operations(app: App) -> web.AppRunner:
    from bot.server import operations_app  # bot.server imports this module

    runner = web.AppRunner(operations_app(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, port=app.settings.metrics_port).start()
    log.info("serving /healthz, /readyz and /metrics on port %s", app.settings.metrics_port)
    return runner
