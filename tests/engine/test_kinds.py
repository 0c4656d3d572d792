"""Every message the engine sends says what it is with a Kind, and reads back from JSON.

Regression: a reminder was a check-in form copied with ``kind=f"{prompt.kind}_reminder"``,
a string the Kind enum did not know. Copying skips validation, so it was sent; a stored
copy of it (Teams keeps one to redraw an answered card) then could not be read back.
"""

from __future__ import annotations

from typing import Any

from conversations.kinds import Kind
from conversations.messages import Message


async def _a_pair_that_met(chat: Any) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ana", "join buddies mentor --department Engineering")
    await chat.say("ben", "join buddies mentee --department Sales")
    for handle in ("ana", "ben"):
        await chat.say(handle, "conduct buddies agree")
    assert (await chat.say("maya", "pair @ana @ben buddies")).startswith("Paired")
    assert (await chat.say("ben", "met")).startswith("Logged session 1 as met")


async def test_a_reminder_is_a_kind_and_every_message_reads_back(chat: Any) -> None:
    await _a_pair_that_met(chat)
    await chat.wait(days=3)  # nobody checked in: each gets a gentle reminder
    sent = [m for handle in ("maya", "ana", "ben") for m in chat.inbox(handle)]
    assert {"checkin_reminder"} <= {m.kind for m in sent}
    for message in sent:
        assert isinstance(message.kind, Kind), message.kind
        assert Message.from_json(message.to_json()) == message
