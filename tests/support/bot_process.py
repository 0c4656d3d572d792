"""Real ``mentorbot worker`` and ``mentorbot serve`` processes for the tests.

Each runs ``python -m bot <command>`` with the environment a test gives it, in the
test's temporary folder (so no ``.env`` is read). Its output is copied, as it
comes, into a log file that failing tests show; a ``serve`` process counts as
started once aiohttp says where it is listening, on an ephemeral port chosen here.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from tests.support.fake_platform import FakePlatform

PLATFORM_SETTINGS = ("SLACK_", "MICROSOFT_", "TEAMS_", "OUTBOX_", "DATABASE_URL", "PORT")
"""Settings a developer's shell may carry that would change what the process talks to."""


@dataclass
class BotProcess:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    stream: IO[bytes]
    url: str = ""
    """``http://127.0.0.1:<port>`` for a ``serve`` process."""
    started: asyncio.Event = field(default_factory=asyncio.Event)
    _copying: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        if not self.stream.closed:
            self.stream.flush()
        text = self.log.read_text(errors="replace")
        return f"--- {self.name} (pid {self.pid}) ---\n{text[-6000:] or '(no output)'}"

    async def _copy(self, marker: bytes | None) -> None:
        """Copy the output to the log file; set ``started`` when ``marker`` appears."""
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.stream.write(line)
            if marker is not None and marker in line:
                self.stream.flush()
                self.started.set()
        self.stream.flush()


def free_port() -> int:
    """A loopback port nothing listens on right now, for the server to bind."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_bot(
    command: str,
    name: str,
    *,
    url: str,
    tmp_path: Path,
    platform: FakePlatform | None = None,
    settings: Mapping[str, str] | None = None,
) -> BotProcess:
    """``python -m bot <command>`` (``worker`` or ``serve``) on database ``url``.

    It delivers every 0.2 s through ``platform`` (when given) and plans once an hour,
    unless ``settings`` (environment variables) say otherwise. A ``serve`` process is
    returned once it listens."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_SETTINGS)}
    env.update(
        {
            "DATABASE_URL": url,
            "DISPATCH_SECONDS": "0.2",
            "TICK_SECONDS": "3600",
            "OUTBOX_CONCURRENCY": "4",
            "LOG_LEVEL": "WARNING",
            "PORT": str(port),
            **({"OUTBOX_WEBHOOK_URL": platform.url} if platform is not None else {}),
            **(settings or {}),
        }
    )
    log = tmp_path / f"{command}-{name}.log"
    stream = log.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = BotProcess(name=name, process=process, log=log, stream=stream)
    serving = command == "serve"
    bot._copying = asyncio.create_task(bot._copy(b"Running on" if serving else None))
    if serving:
        bot.url = f"http://127.0.0.1:{port}"
        exited = asyncio.create_task(process.wait())
        ready = asyncio.create_task(bot.started.wait())
        try:
            await asyncio.wait({exited, ready}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
            ready.cancel()
        if not bot.started.is_set():
            await stop(bot)
            pytest.fail(f"serve did not start\n{bot.output()}")
    return bot


async def stop(*bots: BotProcess) -> None:
    """SIGTERM (a graceful stop), then SIGKILL for any still running after 15 s."""
    for bot in bots:
        if bot.process.returncode is None:
            bot.process.terminate()
    for bot in bots:
        try:
            await asyncio.wait_for(bot.process.wait(), timeout=15)
        except TimeoutError:
            bot.process.kill()
            await bot.process.wait()
        if bot._copying is not None:
            await bot._copying
        bot.stream.close()


async def kill(bot: BotProcess) -> None:
    """SIGKILL: the process dies wherever it is, with no chance to tidy up."""
    bot.process.kill()
    await bot.process.wait()


async def arrival(
    platform: FakePlatform, distinct: int, bots: Sequence[BotProcess], *, within: float
) -> None:
    """Wait until ``distinct`` keys have been accepted; fail early if a process exits."""
    reached = asyncio.create_task(platform.reached(distinct).wait())
    exits = {asyncio.create_task(b.process.wait()): b for b in bots}
    try:
        done, _ = await asyncio.wait(
            {reached, *exits}, timeout=within, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in (reached, *exits):
            task.cancel()
    if reached not in done:
        logs = "\n".join(b.output() for b in bots)
        gone = [f"{b.name} exited {b.process.returncode}" for t, b in exits.items() if t in done]
        pytest.fail(
            f"{len(platform.counts)} of {distinct} keys arrived in {within:.0f} s"
            f" ({len(platform.posts)} POSTs, refused {dict(platform.refused)};"
            f" {', '.join(gone) or 'processes still running'})\n{logs}"
        )
