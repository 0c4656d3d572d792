"""What a long-running process (``serve`` or ``worker``) runs besides HTTP: the ticker."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot.app import App
from bot.config import Settings
from bot.scheduler import Ticker
from bot.transports import Router
from conversations.delivery import Transport
from conversations.ratelimit import Policy, RateLimiter
from storage import repositories as repo
from storage.models import Pair, Role

if TYPE_CHECKING:
    from adapters.slack.tokens import SlackConfig
    from adapters.teams.connector import TeamsConfig

log = logging.getLogger(__name__)
WEBHOOK_PLATFORMS = frozenset({"slack", "teams", "webhook"})


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


def slack_config(settings: Settings) -> SlackConfig | None:
    if not settings.slack_enabled or not settings.slack_signing_secret:
        return None
    from adapters.slack.tokens import SlackConfig

    return SlackConfig(
        signing_secret=settings.slack_signing_secret,
        bot_token=settings.slack_bot_token,
        api_url=settings.slack_api_url,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        app_token=settings.slack_app_token,
    )


def teams_config(settings: Settings) -> TeamsConfig | None:
    if not settings.teams_active:
        return None
    from adapters.teams.connector import TeamsConfig

    return TeamsConfig(
        app_id=settings.microsoft_app_id,
        app_password=settings.microsoft_app_password,
        app_type=settings.microsoft_app_type,
        tenant_id=settings.microsoft_app_tenant_id,
        file_url=settings.teams_file_url,
    )


def transport_for(app: App, *, teams: TeamsConfig | None = None) -> Router | None:
    """The transports this process delivers through, by platform (None: none configured)."""
    routes: dict[str, Transport] = {}
    if app.settings.outbox_webhook_url:
        from adapters.webhook.transport import WebhookTransport

        webhook = WebhookTransport(app.settings.outbox_webhook_url)
        routes.update({platform: webhook for platform in WEBHOOK_PLATFORMS})
    config = slack_config(app.settings)
    if config is not None:
        from adapters.slack.tokens import Tokens, installation_store
        from adapters.slack.transport import SlackTransport

        tokens = Tokens(config, installation_store(config, app.database))

        async def coordinator_copy(pair: Pair) -> str | None:
            """In safeguarded programmes a coordinator is part of every pair space."""
            async with app.sessions() as session:
                coordinators = await repo.people_with_role(
                    session, workspace_id=pair.programme.workspace_id, role=Role.COORDINATOR
                )
            return coordinators[0].platform_user_id if coordinators else None

        routes["slack"] = SlackTransport(
            tokens.token_for, base_url=config.api_url, coordinator_copy=coordinator_copy
        )
    teams = teams or teams_config(app.settings)
    if teams is not None:
        from adapters.teams.connector import cloud_adapter
        from adapters.teams.transport import TeamsTransport

        routes["teams"] = TeamsTransport(
            cloud_adapter(teams), app.sessions, app_id=teams.app_id, now=app.clock.now
        )
    return Router(routes) if routes else None


def rate_policies(settings: Settings) -> dict[str, Policy]:
    """Each platform's published limits, with the workspace/tenant budgets from settings."""
    from adapters.slack.limits import rate_policy as slack_policy
    from adapters.teams.limits import rate_policy as teams_policy

    return {
        "slack": slack_policy(settings.slack_workspace_rate),
        "teams": teams_policy(settings.teams_tenant_rate),
    }


def start(app: App, *, teams: TeamsConfig | None = None) -> Runtime:
    transport = transport_for(app, teams=teams)
    if transport is None:
        log.warning(
            "no delivery transport is configured (OUTBOX_WEBHOOK_URL): messages are "
            "planned and kept in the outbox until one is"
        )
    limiter = RateLimiter(rate_policies(app.settings))
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
