"""The console REPL driven by a script, for tests that play a person at the terminal."""

from __future__ import annotations

from collections.abc import Iterator

from adapters.console.repl import Console
from adapters.console.transport import ConsoleTransport
from tests.support.harness import Chat


def scripted_console(chat: Chat, lines: list[str]) -> tuple[Console, list[str]]:
    """A console over ``chat``'s engine that reads ``lines`` in turn (then end of input);
    returns it and everything it said, prompts and typed lines included."""
    said: list[str] = []
    feed: Iterator[str] = iter(lines)

    async def read(prompt: str) -> str | None:
        line = next(feed, None)
        said.append(f"{prompt}{line if line is not None else '<EOF>'}")
        return line

    transport = ConsoleTransport(write=said.append)
    console = Console(
        engine=chat.app.engine,
        transport=transport,
        clock=chat.clock,
        read=read,
        write=said.append,
        dispatcher=chat.app.dispatcher(transport, concurrency=1, platforms=frozenset({"console"})),
    )
    return console, said
