"""How much of a platform's request an adapter reads, and how it says no.

Platforms send small bodies (a Teams activity or a Slack payload is a few KB), so a
large one is refused before it is read: from its ``Content-Length`` when the sender
declares one, and otherwise (a chunked body) as soon as the limit is passed, so a
body of any size costs at most the limit in memory. Every refusal is a JSON object
with an ``error`` sentence, whichever part of the server refuses.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

MAX_BODY = 1024 * 1024
"""The web server's ``client_max_size``, and the most any handler reads."""
BODY_SECONDS = 10.0
"""How long a body may take to arrive in full: a platform sends a few KB at once, so a
body still trickling in after this is someone holding a connection open (408)."""
MAX_DEPTH = 32
"""The deepest nesting of JSON any platform sends is under ten levels; deeper is refused
before anything walks it (a deep enough document would exhaust the interpreter's stack)."""


class TooDeep(ValueError):
    """JSON nested deeper than any platform sends."""


def json_value(text: str | bytes) -> Any:
    """Parse JSON a platform sent, refusing (``ValueError``) what is not JSON and, with
    :class:`TooDeep`, what is nested deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep("the body is nested far deeper than any platform sends") from None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        if children and depth > MAX_DEPTH:
            raise TooDeep("the body is nested far deeper than any platform sends")
        stack.extend((child, depth + 1) for child in children)
    return value


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

    Raises 413 (before reading anything when ``Content-Length`` says it is too big),
    400 when the body breaks off or its chunked encoding is broken, and 408 when it has
    not arrived in full within :data:`BODY_SECONDS`. One
    ``content.read(n)`` can return less than ``n`` before the end, so this reads
    until the end of the body, not once.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit, declared)
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_SECONDS):
            return await _read_all(request, body, limit)
    except TimeoutError:
        raise web.HTTPRequestTimeout(
            text=json.dumps(
                {"error": f"the request body took more than {BODY_SECONDS:g} s to arrive"}
            ),
            content_type="application/json",
        ) from None


async def _read_all(request: web.Request, body: bytearray, limit: int) -> bytes:
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
