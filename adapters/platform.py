"""What every platform adapter shares, so Slack and Teams cannot drift apart.

An adapter is given a :class:`Host` (the process's database, engine and clock; the
``bot`` package builds it and passes it in, so nothing here imports ``bot``).
:class:`PlatformAdapter` holds the plumbing both platforms need around that host:

- the run loop: a neutral event goes to the engine, and the delivery of whatever it
  queued is woken at once (:meth:`PlatformAdapter.run`);
- de-duplication of redelivered inbound ids (a Slack retry, a Teams channel's resend),
  recorded in the database so a second instance recognises them too;
- a profile cache with a time to live (who a platform user is: name, email, zone);
- file downloads from the platform's own file hosts only, in full or not at all
  (:mod:`adapters.downloads`);
- what a failure on our side looks like in the log and to the person
  (:mod:`adapters.outage`).

What stays in each platform's package is translation: its payloads into neutral
events, neutral messages into Block Kit or Adaptive Cards, and its SDK's plumbing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import adapters.store as store
from adapters.downloads import FileHosts, SharedFile, fetch_all
from adapters.outage import SORRY, database_unreachable, reason
from conversations.clock import Clock
from conversations.engine import Engine
from conversations.events import Event
from conversations.kinds import Kind
from conversations.messages import Attachment, Message

log = logging.getLogger(__name__)
PROFILE_TTL = 3600.0
"""How long who someone is (name, email, time zone) is trusted before asking the platform
again: long enough that a busy conversation asks once, short enough that a renamed
person is seen by the name they chose within the hour."""

K = TypeVar("K")
V = TypeVar("V")


class Host(Protocol):
    """What an adapter is given by the process that runs it (``bot.app.App`` is one)."""

    @property
    def database(self) -> AsyncEngine: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def clock(self) -> Clock: ...

    def track(self) -> None:
        """Count the running task as work in flight, so shutdown waits for its reply."""


@dataclass
class ProfileCache(Generic[K, V]):
    """Answers from the platform's directory, each trusted for ``ttl`` seconds.

    A failed lookup is the caller's to decide about: :meth:`put` what it settled on
    (Teams keeps "nobody known" for the hour rather than ask on every message)."""

    ttl: float = PROFILE_TTL
    now: Callable[[], float] = time.monotonic
    _entries: dict[K, tuple[float, V]] = field(default_factory=dict)

    def get(self, key: K) -> V | None:
        cached = self._entries.get(key)
        if cached is None or self.now() - cached[0] >= self.ttl:
            return None
        return cached[1]

    def put(self, key: K, value: V) -> None:
        self._entries[key] = (self.now(), value)


def log_failure(error: BaseException, *, platform: str, what: str) -> None:
    """One line when the database is unreachable (it passes; a trace per request would
    bury the log), the trace for anything else. Never what the person wrote."""
    if database_unreachable(error):
        log.warning(
            "the database is unreachable; a %s %s was not handled: %s",
            platform,
            what,
            reason(error),
        )
    else:
        log.error("a %s %s failed", platform, what, exc_info=error)


def apology() -> Message:
    """What the person hears when handling what they sent failed on our side."""
    return Message(text=SORRY, kind=Kind.ERROR)


@dataclass
class PlatformAdapter:
    """The plumbing a platform adapter shares (see the module docstring). A platform's
    adapter subclasses it, names its ``platform`` and says where its files live."""

    platform: ClassVar[str]
    app: Host
    _: KW_ONLY
    on_queued: Callable[[], None] = lambda: None
    """Called after an event queued messages, so delivery need not wait for its next turn."""
    _background: set[asyncio.Future[None]] = field(default_factory=set)

    def file_hosts(self) -> FileHosts:
        """Where this platform's shared files may be fetched from."""
        raise NotImplementedError

    def mount(self, web_app: web.Application) -> None:
        """Add this platform's routes to the web server."""
        raise NotImplementedError

    async def start(self) -> None:
        """Called once the server runs (e.g. to open a websocket to the platform)."""

    async def stop(self) -> None:
        """Called when the server stops, before the database closes."""

    async def run(self, event: Event) -> list[Message]:
        """Hand ``event`` to the engine; the replies are the caller's to deliver."""
        replies = await self.app.engine.handle(event)
        self.on_queued()
        return replies

    async def seen(self, inbound_id: str | None) -> bool:
        """Record an inbound id; True if it was handled before (the platform redelivered
        it). Nothing to record (no id) is never a repeat."""
        if not inbound_id:
            return False
        return not await store.first_time(
            self.app.sessions,
            platform=self.platform,
            event_id=inbound_id,
            now=self.app.clock.now(),
        )

    async def unseen(self, inbound_id: str | None) -> None:
        """Forget an inbound id whose handling was cut off and rolled back, so that the
        platform's retry of it is handled rather than dropped as a repeat."""
        if inbound_id:
            await store.forget_inbound(
                self.app.sessions, platform=self.platform, event_id=inbound_id
            )

    async def files(
        self, shared: Sequence[SharedFile], *, headers: Mapping[str, str] | None = None
    ) -> tuple[Attachment, ...] | Message:
        """The shared files in full, or what to tell the person instead (then nothing of
        them is used: see :mod:`adapters.downloads`)."""
        if not shared:
            return ()
        return await fetch_all(shared, hosts=self.file_hosts(), headers=headers)

    def failed(self, error: BaseException, what: str) -> None:
        """Log a failure to handle ``what`` (see :func:`log_failure`)."""
        log_failure(error, platform=self.platform.capitalize(), what=what)

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work started after a request was answered (an apology being posted), keeping
        a reference to it so it is not collected half-way."""
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
