"""Delivers outbox messages to the terminal, remembering each person's last card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.console.render import render
from adapters.store import names
from conversations.delivery import Delivery
from conversations.messages import Message


@dataclass(slots=True)
class ConsoleTransport:
    write: Callable[[str], None]
    compact_after_first: bool = False
    """Show each kind of message in full once, then as one line (the demo's default)."""
    last_card: dict[str, Message] = field(default_factory=dict)
    """Platform user id → the most recent message with buttons they received."""
    received: list[tuple[str, Message]] = field(default_factory=list)
    _seen_kinds: set[str] = field(default_factory=set)

    def show(self, audience: str, message: Message) -> None:
        compact = self.compact_after_first and message.kind in self._seen_kinds
        self._seen_kinds.add(message.kind)
        body = render(message, compact=compact)
        self.write(f"  ✉ to {audience}:\n" + "\n".join(f"    {line}" for line in body.splitlines()))

    async def send(self, delivery: Delivery) -> str | None:
        if delivery.channel is not None:
            self.show(f"#{delivery.channel}", delivery.message)
            self.received.append((f"#{delivery.channel}", delivery.message))
            return f"console-{delivery.outbox_id}"
        to_pair = delivery.person is None and delivery.pair is not None
        people = (
            (delivery.pair.mentor, delivery.pair.mentee)
            if (to_pair and delivery.pair is not None)
            else delivery.recipients
        )
        audience = names(people) + (" (pair)" if to_pair else "")
        self.show(audience, delivery.message)
        for person in people:
            self.received.append((person.platform_user_id, delivery.message))
            if delivery.message.buttons():
                self.last_card[person.platform_user_id] = delivery.message
        return f"console-{delivery.outbox_id}"
