"""The aiohttp web server the platform adapters mount on.

``GET /healthz`` says the process is up (a container orchestrator restarts it if
not); ``GET /readyz`` answers 200 only when the database answers and its schema is
at the latest migration, so a load balancer sends no traffic to an instance that
lost its database or runs ahead of a migration not yet applied.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

from bot import limits, metrics, platforms
from bot.app import App
from bot.runtime import start
from conversations import logcontext
from storage import migrate

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("mentorbot", App)
SETTLE_SECONDS = 10.0
"""How long shutdown waits for acknowledged work to reply; a platform's own stop grace
(Heroku: 30 s from SIGTERM to SIGKILL) must cover this, the open requests and the sends."""
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""A load balancer's X-Request-Id is kept only when it looks like an id, not like text."""


@web.middleware
async def log_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every log line a platform request causes carries its request id and platform; work
    the request starts (bolt's listener, after the ack) inherits them."""
    platform = metrics.platform_of(request.path)
    if platform is None:
        return await handler(request)
    given = request.headers.get("X-Request-Id", "")
    request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    with logcontext.about(request_id=request_id, platform=platform):
        return await handler(request)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        async with app.database.connect() as conn:
            await conn.execute(text("SELECT 1"))
        revision = await migrate.current_revision(app.database)
    except Exception as exc:
        log.warning("readiness check failed: %s", exc)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    head = migrate.head_revision()
    if revision != head:
        return web.json_response(
            {"status": "unavailable", "database": "ok", "migrations": f"at {revision}, not {head}"},
            status=503,
        )
    return web.json_response({"status": "ready", "database": "ok", "migrations": "current"})


async def prometheus(request: web.Request) -> web.Response:
    """Prometheus's scrape: this process's counters and the shared outbox's depth."""
    app = request.app[APP_KEY]
    try:
        await asyncio.wait_for(app.metrics.count_outbox(app.sessions, app.clock.now()), 5)
    except TimeoutError:
        app.metrics.database_up = False  # a hung database must not hang the scrape
    return web.Response(
        body=app.metrics.exposition(), headers={"Content-Type": metrics.CONTENT_TYPE}
    )


PRIVACY = """<!doctype html><meta charset="utf-8"><title>Mentorbot privacy</title>
<h1>Privacy</h1>
<p>This mentoring bot is run by your organisation on its own server. It stores what it needs
to run mentoring programmes: your chat user id, display name, time zone and (if your chat
platform provides it) email; the profile you give when you join a programme; your pairings,
logged meetings and check-in ratings. A reflection you write in a check-in is private: only
you can see it, never your partner, the programme team or executives, who see counts only.
Nothing is sent anywhere except your organisation's chat platform. Ask your programme
coordinator about anything stored about you.</p>"""

TERMS = """<!doctype html><meta charset="utf-8"><title>Mentorbot terms</title>
<h1>Terms of use</h1>
<p>Mentorbot is open-source software (Apache-2.0) run by your organisation for its mentoring
programmes. Your organisation's own policies and the programme's code of conduct apply to
its use.</p>"""


async def privacy(request: web.Request) -> web.Response:
    return web.Response(text=PRIVACY, content_type="text/html")


async def terms(request: web.Request) -> web.Response:
    return web.Response(text=TERMS, content_type="text/html")


def _operations(web_app: web.Application) -> None:
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", prometheus)


def operations_app(app: App) -> web.Application:
    """Only /healthz, /readyz and /metrics: what a ``worker`` serves on METRICS_PORT, so an
    orchestrator can probe it and Prometheus can count its deliveries too."""
    web_app = web.Application()
    web_app[APP_KEY] = app
    _operations(web_app)
    return web_app


def make_web_app(
    app: App,
    *,
    background: bool = False,
    options: argparse.Namespace | None = None,
    configs: platforms.Configs | None = None,
) -> web.Application:
    """The web application; with ``background`` it also plans and delivers (``serve``).
    ``options`` are ``serve``'s command line; ``configs`` replace platforms' configurations
    from settings (tests)."""
    web_app = web.Application(
        client_max_size=limits.MAX_BODY,
        # json_errors outermost: aiohttp's own 404/405/413 leave as JSON, counted as such.
        middlewares=[
            limits.json_errors,
            metrics.middleware(app.metrics),
            limits.deadline,
            log_context,
        ],
    )
    web_app[APP_KEY] = app
    _operations(web_app)
    web_app.router.add_get("/privacy", privacy)  # linked from the Teams app package
    web_app.router.add_get("/terms", terms)
    configured = platforms.configured(app.settings, options, overrides=configs)
    served = platforms.adapters(app, configured)
    for adapter in served:
        adapter.mount(web_app)

    async def _background(_: web.Application) -> AsyncIterator[None]:
        runtime = start(app, configured) if background else None
        for adapter in served:
            if runtime is not None:
                adapter.on_queued = runtime.ticker.wake
            await adapter.start()
        yield
        # Stopping (SIGTERM): aiohttp has stopped accepting requests and let the open ones
        # finish; what bolt acknowledged is still running its reply, so it finishes next,
        # before the ticker stops, hands back unsent claims and the database closes.
        stuck = await app.settle(within=SETTLE_SECONDS)
        if stuck:
            log.warning("shutting down with %s reply(ies) still running: cancelled", stuck)
        for adapter in served:
            await adapter.stop()
        if runtime is not None:
            await runtime.close()
        await app.close()

    web_app.cleanup_ctx.append(_background)
    return web_app
