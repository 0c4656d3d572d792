"""``mentorbot console``: chat with the engine as any person, on the same database.

Type commands exactly as you would to the bot in Slack or Teams. Console-only
words: ``as <name> [Area/City]`` to become someone, a number (or
``press <n>``) to press a button on the last card you received, ``wait 2w``
(``30 minutes``, ``3d``, ``1 month``…) to move the console's clock forward (then due
agendas are sent), ``quit``.
``import <program> people.csv`` attaches that file, as a chat platform would;
files the bot sends back (an ``export``) are saved in the current folder.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.console.render import render
from adapters.console.transport import ConsoleTransport
from conversations import codec
from conversations.clock import OffsetClock, VirtualClock
from conversations.delivery import Dispatcher
from conversations.durations import describe, parse_delta
from conversations.engine import Engine
from conversations.events import Actor, ButtonPressed, CommandSent, Event, FormSubmitted
from conversations.messages import Attachment, Input, Message

Reader = Callable[[str], Awaitable[str | None]]

TIPS = """Console tips: 'as ana' (or 'as ana America/Halifax') to speak as someone; type
commands as you would to the bot ('help', 'programs', 'join <program>'); a number
presses that button on your last card; 'wait 2 weeks' (or 30 minutes, 3d, 1 month) moves
time on; 'quit' leaves."""


_MENTION = re.compile(r"(?<![\w<])@([A-Za-z0-9][A-Za-z0-9._-]*)")


def link_mentions(text: str, names: dict[str, str] | None = None) -> str:
    """Turn ``@ben`` into the linked form ``<@ben|Ben>``, as Slack does for real mentions.

    In the console everyone is known by a handle, so every mention is a person the
    platform (this terminal) vouches for, just as Slack's escaped mentions are.
    """

    def linked(match: re.Match[str]) -> str:
        handle = match.group(1).lower()
        shown = (names or {}).get(handle) or handle[:1].upper() + handle[1:]
        return codec.mention(handle, shown)

    return _MENTION.sub(linked, text)


def attached_files(text: str) -> tuple[Attachment, ...]:
    """The files named in a typed command, read as a chat platform would upload them.

    The console has no paperclip, so ``import buddies people.csv`` attaches
    people.csv; the text still goes to the engine as typed. Undecodable bytes
    are replaced, as the file is treated as UTF-8 text.
    """
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    files: list[Attachment] = []
    for word in words[1:]:
        if word.startswith("-"):
            continue
        path = Path(word).expanduser()
        try:
            if not path.is_file():
                continue
            data = path.read_text(encoding="utf-8", errors="replace").encode("utf-8")
        except OSError:  # unreadable or an impossible name: the engine asks for a file
            continue
        files.append(Attachment(name=path.name, media_type="text/csv", data=data))
    return tuple(files)


def save_attachment(attachment: Attachment, folder: Path) -> Path:
    """Write a file the bot sent into ``folder``, never over an existing file."""
    name = Path(attachment.name).name or "attachment"  # no directories from the sender
    stem, suffix = Path(name).stem, Path(name).suffix
    target = folder / name
    number = 0
    while True:
        try:
            with target.open("xb") as handle:
                handle.write(attachment.data)
            return target
        except FileExistsError:
            number += 1
            target = folder / f"{stem}-{number}{suffix}"


def actor_for(name: str, *, workspace: str, timezone: str | None = None) -> Actor:
    handle = name.strip().lstrip("@").lower()
    return Actor(
        platform="console",
        workspace=workspace,
        user_id=handle,
        display_name=handle[:1].upper() + handle[1:],
        timezone=timezone,
    )


@dataclass(slots=True)
class Console:
    engine: Engine
    dispatcher: Dispatcher
    transport: ConsoleTransport
    clock: OffsetClock | VirtualClock
    read: Reader
    write: Callable[[str], None]
    workspace: str = "local"
    actor: Actor | None = None

    async def run(self) -> int:
        self.write(TIPS)
        while True:
            prompt = f"{self.actor.display_name if self.actor else '(nobody)'}> "
            line = await self.read(prompt)
            if line is None:
                return 0
            if not await self.execute(line):
                return 0

    async def execute(self, line: str) -> bool:
        """Run one line; False means the person asked to leave."""
        text = line.strip()
        if not text:
            return True
        first, _, rest = text.partition(" ")
        word = first.lower()
        if word in ("quit", "exit"):
            return False
        if word == "as":
            return self._become(rest)
        if word == "wait":
            await self._wait(rest)
            return True
        if word == "tick":
            await self._tick()
            return True
        if self.actor is None:
            self.write("Say who you are first, e.g. 'as maya'.")
            return True
        if word == "press" or word.isdigit():
            await self._press(rest if word == "press" else word)
            return True
        attachments = attached_files(text) if word == "import" else ()
        await self._send(
            CommandSent(
                actor=self.actor, text=link_mentions(text), attachments=attachments, direct=True
            )
        )
        return True

    def _become(self, rest: str) -> bool:
        parts = rest.split()
        if not parts:
            self.write("Usage: as <name> [Area/City]")
            return True
        self.actor = actor_for(
            parts[0], workspace=self.workspace, timezone=parts[1] if len(parts) > 1 else None
        )
        self.write(f"You are now {self.actor.display_name}.")
        return True

    async def _wait(self, rest: str) -> None:
        try:
            delta = parse_delta(rest or "1d")
        except ValueError as exc:
            self.write(str(exc))
            return
        self.clock.advance(delta)
        self.write(
            f"… {describe(delta)} later, the clock is now {self.clock.now():%a %d %b %Y %H:%M} UTC"
        )
        await self._tick()

    async def _tick(self) -> None:
        await self.engine.tick()
        await self.dispatcher.drain()

    def _card(self) -> Message | None:
        assert self.actor is not None
        return self.transport.last_card.get(self.actor.user_id)

    async def _press(self, number: str) -> None:
        assert self.actor is not None
        card = self._card()
        buttons = card.buttons() if card else ()
        if not number.strip().isdigit() or not 1 <= int(number) <= len(buttons):
            self.write(
                f"There's no button {number.strip() or '?'} on your last card."
                if buttons
                else "You have no card with buttons right now."
            )
            return
        assert card is not None and card.card is not None
        button = buttons[int(number) - 1]
        if card.card.submit is not None and button == card.card.submit:
            values = await self._fill(card.card.inputs)
            if values is None:
                self.write("Form cancelled; nothing was sent.")
                return
            event: Event = FormSubmitted(
                actor=self.actor, action=button.action, value=button.value, values=values
            )
        else:
            event = ButtonPressed(actor=self.actor, action=button.action, value=button.value)
        self.transport.last_card.pop(self.actor.user_id, None)
        await self._send(event)

    async def _fill(self, inputs: tuple[Input, ...]) -> dict[str, str] | None:
        values: dict[str, str] = {}
        for item in inputs:
            options = ""
            if item.options:
                options = " " + " ".join(f"{n}={o.label}" for n, o in enumerate(item.options, 1))
            default = f" [{item.initial}]" if item.initial else ""
            for _ in range(3):
                answer = await self.read(f"  {item.label}{options}{default}: ")
                if answer is None:
                    return None
                answer = answer.strip() or item.initial
                if item.options and answer.isdigit() and 1 <= int(answer) <= len(item.options):
                    answer = item.options[int(answer) - 1].value
                if answer or not item.required:
                    values[item.name] = answer
                    break
                self.write("  This one is needed.")
            else:
                return None
        return values

    async def _send(self, event: Event) -> None:
        assert self.actor is not None
        for reply in await self.engine.handle(event):
            body = render(reply)
            self.write("  bot: " + body.replace("\n", "\n       "))
            if reply.buttons():
                self.transport.last_card[self.actor.user_id] = reply
            for attachment in reply.attachments:
                try:
                    self.write(f"  📎 saved {save_attachment(attachment, Path.cwd())}")
                except OSError as exc:
                    self.write(f"  📎 couldn't save {attachment.name}: {exc.strerror or exc}")
        await self.dispatcher.drain()
