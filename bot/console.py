"""``mentorbot console``: the interactive console on the configured database.

The process entry lives in ``bot``, which wires the console adapter to the engine; the
adapter itself (``adapters.console``) only reads, renders and writes.
"""

from __future__ import annotations

import asyncio

from adapters.console.repl import Console
from adapters.console.transport import ConsoleTransport
from bot.app import build
from bot.config import Settings
from conversations.clock import OffsetClock


async def _read(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except (EOFError, KeyboardInterrupt):
        return None


async def run_console(settings: Settings) -> int:
    clock = OffsetClock()
    app = await build(settings, clock=clock)
    transport = ConsoleTransport(write=print)
    console = Console(
        engine=app.engine,
        clock=clock,
        transport=transport,
        read=_read,
        write=print,
        dispatcher=app.dispatcher(transport, concurrency=1, platforms=frozenset({"console"})),
    )
    try:
        return await console.run()
    finally:
        await app.close()
