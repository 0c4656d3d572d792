"""A TCP proxy on an ephemeral loopback port that a test can cut and restore.

Put it between the bot and PostgreSQL (``DATABASE_URL`` naming the proxy's port)
and the test decides when the database is reachable: :meth:`TcpProxy.cut` closes
every live connection at once, as a database restart or a failover does, and
until :meth:`TcpProxy.restore` each new connection is accepted and closed straight
away, so the driver's connect fails quickly instead of hanging. The listening port
stays open throughout, so nothing else can take it while the database is "down".

It counts the connections it forwarded and the ones it turned away, so a test can
show that the bot really tried, and failed, to reach the database during the cut.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self


class TcpProxy:
    def __init__(self, *, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self.forwarded = 0
        """Connections passed through to the target."""
        self.refused = 0
        """Connections accepted and closed at once because the proxy was cut."""
        self._cut = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def is_cut(self) -> bool:
        return self._cut

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    def cut(self) -> None:
        """Drop every live connection and turn new ones away until :meth:`restore`."""
        self._cut = True
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()

    def restore(self) -> None:
        """Forward new connections again (dropped ones stay dropped, as after a restart)."""
        self._cut = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

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

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.refused += 1
            _abort(writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            _abort(writer)
            return
        if self._cut:  # cut while connecting upstream
            self.refused += 1
            _abort(writer)
            _abort(upstream_writer)
            return
        self.forwarded += 1
        self._writers.update((writer, upstream_writer))
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pipe = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Copy one direction until either side closes; then close both."""
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(sink)
            _abort(sink)


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close at once, without waiting for buffered data: the connection is simply gone."""
    with contextlib.suppress(Exception):
        writer.transport.abort()
