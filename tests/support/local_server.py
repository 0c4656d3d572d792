"""The lifecycle every fake platform in the tests shares: an aiohttp application served on
an ephemeral loopback port for the length of an ``async with``."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from aiohttp import web


class LocalServer:
    """Subclasses add their routes in :meth:`routes` and say, in :meth:`started`, what
    ``start()`` returns (the URL the bot under test is given)."""

    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def started(self, base_url: str) -> str:
        return base_url

    async def start(self) -> str:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return self.started(f"http://{host}:{port}")

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def in_pieces(
    request: web.Request, content: bytes, *, cut: bool = False, pause: float = 0.2
) -> web.StreamResponse:
    """Serve ``content`` as a file server on a slow link does: its length declared, the
    first half sent, a pause, then the rest. With ``cut`` the connection drops after the
    first half instead (a server restarting, a proxy timing out): the body is cut short."""
    response = web.StreamResponse(headers={"Content-Type": "text/csv"})
    response.content_length = len(content)
    await response.prepare(request)
    half = len(content) // 2
    await response.write(content[:half])
    await asyncio.sleep(pause)
    if cut:
        if request.transport is not None:  # None: the client went already
            request.transport.close()
        return response
    await response.write(content[half:])
    await response.write_eof()
    return response
