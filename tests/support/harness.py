"""A chat harness: people talk to the real engine; we read what each one received.

Messages are delivered by the real dispatcher through the console transport,
so tests see exactly what a person would, in order, and nothing reaches them
without going through the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from adapters.console.transport import ConsoleTransport
from bot.app import App, build
from bot.config import load_settings
from conversations.clock import VirtualClock
from conversations.delivery import Delivery
from conversations.events import Actor, ButtonPressed, CommandSent, FormSubmitted, PersonJoined
from conversations.messages import Message
from storage.models import Base

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday afternoon in UTC

ZONES = {
    "maya": "America/Toronto",
    "ana": "America/Toronto",
    "ben": "America/Halifax",
    "cleo": "Europe/London",
    "dev": "Asia/Kolkata",
    "eve": "America/Vancouver",
}


class TimedTransport(ConsoleTransport):
    """The console transport, also noting when (virtual time) each person got what."""

    def __init__(self, *, write: Callable[[str], None], clock: VirtualClock) -> None:
        super().__init__(write=write)
        self.clock = clock
        self.log: list[tuple[datetime, str, str]] = []

    async def send(self, delivery: Delivery) -> str | None:
        for person in delivery.recipients:
            self.log.append((self.clock.now(), person.platform_user_id, delivery.message.kind))
        return await super().send(delivery)


class Chat:
    def __init__(
        self, app: App, clock: VirtualClock, *, workspace: str = "acme", platform: str = "console"
    ) -> None:
        self.app = app
        self.clock = clock
        self.workspace = workspace
        self.platform = platform
        self.transport = TimedTransport(write=lambda _text: None, clock=clock)
        # One at a time, in queue order: each inbox reads in a stable order.
        self.dispatcher = app.dispatcher(
            self.transport, concurrency=1, platforms=frozenset({"console"})
        )
        self.replies: dict[str, list[Message]] = {}

    def elsewhere(self, workspace: str) -> Chat:
        """The same bot and database, seen from another workspace."""
        other = Chat(self.app, self.clock, workspace=workspace, platform=self.platform)
        other.transport = self.transport
        other.dispatcher = self.dispatcher
        return other

    def actor(self, handle: str) -> Actor:
        return Actor(
            platform=self.platform,
            workspace=self.workspace,
            user_id=handle,
            display_name=handle.capitalize(),
            timezone=ZONES.get(handle),
        )

    async def _run(self, handle: str, event: object) -> list[Message]:
        replies = await self.app.engine.handle(event)  # type: ignore[arg-type]
        self.replies.setdefault(handle, []).extend(replies)
        await self.dispatcher.drain()
        return replies

    async def say(self, handle: str, text: str) -> str:
        """Write to the bot in a private chat (the console); returns the replies' text."""
        replies = await self._run(
            handle, CommandSent(actor=self.actor(handle), text=text, direct=True)
        )
        return "\n".join(r.text for r in replies)

    async def hello(self, handle: str) -> str:
        replies = await self._run(handle, PersonJoined(actor=self.actor(handle)))
        return "\n".join(r.text for r in replies)

    def inbox(self, handle: str) -> list[Message]:
        """Everything delivered to this person (alone or as part of a pair), in order."""
        return [m for who, m in self.transport.received if who == handle]

    def last(self, handle: str, kind: str) -> Message:
        found = [m for m in self.inbox(handle) + self.replies.get(handle, []) if m.kind == kind]
        assert found, f"{handle} received no {kind!r} message; got {self.kinds(handle)}"
        return found[-1]

    def kinds(self, handle: str, *, only: tuple[str, ...] = ()) -> list[str]:
        return [m.kind for m in self.inbox(handle) if not only or m.kind in only]

    async def press(self, handle: str, label: str, *, kind: str, line: str | None = None) -> str:
        """Press the button with this label on the newest message of that kind; given
        ``line``, the one in the card's section whose text contains it (a card that groups
        several notices has a line, and buttons, for each)."""
        message = self.last(handle, kind)
        buttons = message.buttons()
        if line is not None:
            sections = message.card.sections if message.card is not None else ()
            buttons = tuple(b for s in sections if line in s.text for b in s.buttons)
        button = next((b for b in buttons if b.label == label), None)
        assert button is not None, f"no {label!r} button on {kind}" + (
            f" in the line about {line!r}" if line else ""
        )
        replies = await self._run(
            handle,
            ButtonPressed(actor=self.actor(handle), action=button.action, value=button.value),
        )
        return "\n".join(r.text for r in replies)

    async def submit(self, handle: str, values: dict[str, str], *, kind: str) -> str:
        message = self.last(handle, kind)
        assert message.card is not None and message.card.submit is not None
        submit = message.card.submit
        replies = await self._run(
            handle,
            FormSubmitted(
                actor=self.actor(handle), action=submit.action, value=submit.value, values=values
            ),
        )
        return "\n".join(r.text for r in replies)

    async def wait(self, *, days: float) -> None:
        self.clock.advance(timedelta(days=days))
        await self.app.engine.tick()
        await self.dispatcher.drain()

    async def hours(self, count: int) -> None:
        """Let time pass an hour at a time, ticking and delivering as a server would."""
        for _ in range(count):
            self.clock.advance(timedelta(hours=1))
            await self.app.engine.tick()
            await self.dispatcher.drain()

    async def counts(self) -> dict[str, int]:
        """Rows per table: a refused command must leave every count unchanged."""
        result: dict[str, int] = {}
        async with self.app.sessions() as session:
            for table in Base.metadata.sorted_tables:
                result[table.name] = int(
                    await session.scalar(select(func.count()).select_from(table)) or 0
                )
        return result

    async def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table, for asserting that nothing at all changed."""
        rows: dict[str, list[tuple[object, ...]]] = {}
        async with self.app.sessions() as session:
            for table in Base.metadata.sorted_tables:
                found = await session.execute(select(table).order_by(*table.primary_key))
                rows[table.name] = [tuple(r) for r in found.all()]
        return rows


@asynccontextmanager
async def delivery_behind(chat: Chat) -> AsyncIterator[None]:
    """Nothing is delivered inside the block; everything due is delivered when it ends."""
    platforms = chat.dispatcher.platforms
    chat.dispatcher.platforms = frozenset()  # claims nothing
    try:
        yield
    finally:
        chat.dispatcher.platforms = platforms
    await chat.dispatcher.drain()


@asynccontextmanager
async def open_chat(database_url: str) -> AsyncIterator[Chat]:
    clock = VirtualClock(START)
    app = await build(load_settings(database_url=database_url), clock=clock, upgrade=False)
    try:
        yield Chat(app, clock)
    finally:
        await app.close()


async def accept_conduct(chat: Chat, handle: str, key: str) -> None:
    """The person accepts the programme's code of conduct, as everyone must before a match.

    Typed rather than pressed, so it works for people a coordinator enrolled whose card
    is still waiting for their working hours.
    """
    reply = await chat.say(handle, f"conduct {key} agree")
    assert reply.startswith(("Thank you for accepting", "You've already accepted")), reply


async def more_people(
    chat: Chat, key: str, handles: tuple[str, ...] = ("cleo", "dev", "eve")
) -> None:
    """Others join the programme too (as mentees, not yet paired), so it has the five people
    a digest needs before it shows any figure (``DIGEST_MIN_GROUP``)."""
    for handle in handles:
        reply = await chat.say(handle, f"join {key} mentee --department Sales")
        assert reply.startswith("Welcome to"), reply


async def programme_with_pair(
    chat: Chat, *, curriculum: str = "new-hire-buddy", key: str = "buddies"
) -> None:
    """Maya coordinates; Ana (mentor) and Ben (mentee) join an open programme, each press
    "I agree" on the code of conduct that comes with the welcome, and are paired."""
    await chat.say("maya", f"program create {key} --curriculum {curriculum}")
    await chat.say("maya", f"program open {key}")
    await chat.say(
        "ana",
        f"join {key} mentor --department Engineering "
        '--skills "python, data" --interests "climbing"',
    )
    await chat.say(
        "ben",
        f'join {key} mentee --department Sales --interests "data, climbing" --goals "learn python"',
    )
    for handle in ("ana", "ben"):
        agreed = await chat.press(handle, "I agree", kind="conduct")
        assert agreed.startswith("Thank you for accepting the code of conduct"), agreed
    reply = await chat.say("maya", f"pair @ana @ben {key}")
    assert reply.startswith("Paired Ana (mentor) with Ben (mentee)"), reply


SAMPLE_SCRIPT = [
    ("maya", "help"),
    ("maya", "program create career --curriculum cross-department-career"),
    ("maya", "program open career <#C1|general>"),
    ("ana", "join career"),
    ("ana", "join career mentor --skills data --department IT"),
    ("ben", "join career mentee --interests data --department Sales"),
    ("cleo", "join career mentee --interests data"),
    ("ana", "conduct career agree"),
    ("ben", "conduct career agree"),
    ("cleo", "conduct"),
    ("maya", "program conduct career"),
    ("maya", "match career"),
    ("maya", "proposal career"),
    ("maya", "publish career"),
    ("maya", "program status career"),
    ("ben", "met"),
    ("ben", "checkin 4"),
    ("ben", "status"),
    ("ben", "agenda"),
    ("maya", "digest subscribe <@helen|Helen> all mon 08:00"),
    ("maya", "digest preview"),
    ("maya", "audit"),
    ("maya", "outbox"),
    ("maya", "quiet add 2026-12-25"),
    ("ben", "snooze 1w"),
    ("maya", "export career"),
    ("cleo", "block <@dev|Dev>"),
    ("ben", "frobnicate"),
    ("ben", "checkin 9"),
    ("ben", "hi"),
    ("ben", "I can't make it 'this week"),
    ("ana", "It went really well, thank you"),
    ("ben", "pair a b c"),
    # Ben is paired in a second programme too: a command that could mean either asks which.
    ("maya", "program create buddies --curriculum new-hire-buddy"),
    ("maya", "program open buddies"),
    ("dev", "join buddies mentor --department Legal"),
    ("ben", "join buddies mentee --department Sales"),
    ("dev", "conduct buddies agree"),
    ("ben", "conduct buddies agree"),
    ("maya", "pair @dev @ben buddies"),
    ("ben", "agenda"),
]


async def everything_a_programme_says(chat: Chat) -> list[Message]:
    """Run a programme through every kind of reply and planned message; return them all.

    Adapters render each one to prove any message the engine can produce fits their
    platform.
    """
    for who, text in SAMPLE_SCRIPT:
        await chat.say(who, text)
    for _ in range(8):  # weeks pass: agendas, nudges, pulses, reminders, stalls, digests
        await chat.wait(days=7)
    await chat.hours(48)
    messages = [m for _, m in chat.transport.received]
    return messages + [m for replies in chat.replies.values() for m in replies]
