"""The web server's own refusals, worded like the adapters' (see :mod:`adapters.limits`).

The body limit lives with the adapters, which read the bodies; the server takes its
``client_max_size`` from there, so one number governs both.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.limits import MAX_BODY as MAX_BODY


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
