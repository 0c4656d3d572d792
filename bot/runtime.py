"""What a long-running process (``serve`` or ``worker``) runs besides HTTP: the ticker."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from bot.app import App
from bot.scheduler import Ticker
from conversations.delivery import Transport
from conversations.ratelimit import RateLimiter, policies

log = logging.getLogger(__name__)
DELIVERED_PLATFORMS = frozenset({"slack", "teams", "webhook"})


@dataclass
class Runtime:
    app: App
    ticker: Ticker
    transport: Transport | None

    async def close(self) -> None:
        await self.ticker.stop()
        close = getattr(self.transport, "close", None)
        if close is not None:
            await close()


def transport_for(app: App) -> Transport | None:
    """The transport this process delivers through, if any is configured."""
    if app.settings.outbox_webhook_url:
        from adapters.webhook.transport import WebhookTransport

        return WebhookTransport(app.settings.outbox_webhook_url)
    return None


def start(app: App) -> Runtime:
    transport = transport_for(app)
    if transport is None:
        log.warning(
            "no delivery transport is configured (OUTBOX_WEBHOOK_URL): messages are "
            "planned and kept in the outbox until one is"
        )
    limiter = RateLimiter(
        policies(
            slack_workspace_rate=app.settings.slack_workspace_rate,
            teams_tenant_rate=app.settings.teams_tenant_rate,
        )
    )
    dispatcher = (
        app.dispatcher(transport, limiter=limiter, platforms=DELIVERED_PLATFORMS)
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
    log.info("worker %s running", runtime.ticker.worker)
    await stopped.wait()
    await runtime.close()
    await app.close()
    return 0
