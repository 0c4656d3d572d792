"""How much of a platform's request an adapter reads, and how it says no.

Platforms send small bodies (a Teams activity or a Slack payload is a few KB), so a
large one is refused before it is read: from its ``Content-Length`` when the sender
declares one, and otherwise (a chunked body) as soon as the limit is passed, so a
body of any size costs at most the limit in memory. Every refusal is a JSON object
with an ``error`` sentence, whichever part of the server refuses.
"""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

MAX_BODY = 1024 * 1024
"""The web server's ``client_max_size``, and the most any handler reads."""


def refusal(status: int, message: str) -> web.Response:
    """A clear 4xx: ``{"error": message}``."""
    return web.json_response({"error": message}, status=status)


def _too_large(limit: int, size: int) -> web.HTTPRequestEntityTooLarge:
    message = f"the request body is larger than {limit:,} bytes, more than any platform sends"
    return web.HTTPRequestEntityTooLarge(
        max_size=limit,
        actual_size=size,
        text=json.dumps({"error": message}),
        content_type="application/json",
    )


async def read_body(request: web.Request, *, limit: int = MAX_BODY) -> bytes:
    """The whole body, at most ``limit`` bytes of it.

    Raises 413 (before reading anything when ``Content-Length`` says it is too big)
    and 400 when the body breaks off or its chunked encoding is broken. One
    ``content.read(n)`` can return less than ``n`` before the end, so this reads
    until the end of the body, not once.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, declared)
    body = bytearray()
    try:
        while True:
            chunk = await request.content.read(limit + 1 - len(body))
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise _too_large(limit, len(body))
    except (HttpProcessingError, ConnectionResetError) as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"the request body was cut short ({exc})"}),
            content_type="application/json",
        ) from None
