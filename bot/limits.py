"""The web server's own refusals, worded like the adapters' (see :mod:`adapters.limits`).

The body limit lives with the adapters, which read the bodies; the server takes its
``client_max_size`` from there, so one number governs both.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.limits import MAX_BODY as MAX_BODY

log = logging.getLogger(__name__)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own refusals (no such path, wrong method, a body over ``client_max_size``)
    as JSON with a sentence, like the handlers' own, instead of a bare text line."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if not 400 <= exc.status < 500 or exc.content_type == "application/json":
            raise
        headers = {
            name: value
            for name, value in exc.headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        reason = (exc.text or exc.reason).strip()
        return web.json_response({"error": reason}, status=exc.status, headers=headers)


REQUEST_SECONDS = 20.0
"""The most any one request may take, from the first byte of its body to the answer.
Slack wants an answer within 3 s and the Bot Framework within 15 s; a request still open
after this is either held open on purpose or stuck behind something broken, and holding
it longer only ties up a connection and a database session."""


@web.middleware
async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with a sentence once a request has taken :data:`REQUEST_SECONDS`; the
    handler is cancelled, so its transaction rolls back and the platform's retry (Slack
    and the Bot Framework both retry) finds nothing done by half. The body read has its
    own, shorter deadline (408, :data:`adapters.limits.BODY_SECONDS`)."""
    try:
        async with asyncio.timeout(REQUEST_SECONDS):
            return await handler(request)
    except TimeoutError:
        log.warning("request to %s gave up after %g s", request.path, REQUEST_SECONDS)
        return web.json_response(
            {"error": f"the request took more than {REQUEST_SECONDS:g} s; please try again"},
            status=503,
            headers={"Retry-After": "5"},
        )
