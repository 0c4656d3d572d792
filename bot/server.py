"""The aiohttp web server the platform adapters mount on.

``GET /healthz`` answers 200 only when the database answers, so a load balancer
stops sending traffic to an instance that lost its database.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import text

from bot.app import App
from bot.runtime import slack_config, start

if TYPE_CHECKING:
    from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("mentorbot", App)


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        async with app.database.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check failed: %s", exc)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def slack_adapter(app: App) -> SlackAdapter | None:
    """The Slack adapter, when Slack is configured."""
    config = slack_config(app.settings)
    if config is None:
        return None
    from adapters.slack.app import SlackAdapter

    return SlackAdapter(app, config)


def make_web_app(
    app: App, *, background: bool = False, socket_mode: bool = False
) -> web.Application:
    """The web application; with ``background`` it also plans and delivers (``serve``)."""
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    slack = slack_adapter(app)
    if slack is not None:
        slack.mount(web_app)

    async def _background(_: web.Application) -> AsyncIterator[None]:
        runtime = start(app) if background else None
        if runtime is not None and slack is not None:
            slack.on_queued = runtime.ticker.wake
        socket = await slack.socket_mode() if socket_mode and slack is not None else None
        yield
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]  # untyped in bolt
        if runtime is not None:
            await runtime.close()
        await app.close()

    web_app.cleanup_ctx.append(_background)
    return web_app
