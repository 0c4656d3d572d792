"""Journeys that bring a pair to an open question: a coordinator's nudge, "did you meet?",
a check-in. Shared by the tests of what the bot makes of free text."""

from __future__ import annotations

from conversations.events import ButtonPressed
from tests.support.harness import Chat, accept_conduct, programme_with_pair

GRAMMAR_ERRORS = (
    "quote is missing its partner",
    "I don't know the command",
    "I don't know the option",
    "That command is too long",
    "needs a value after it",
)
"""Sentences that say someone typed a command wrongly: prose must never get one."""


async def until(chat: Chat, handle: str, kind: str, *, hours: int = 72) -> None:
    """Let time pass an hour at a time until ``handle`` has received a message of ``kind``."""
    for _ in range(hours):
        if kind in chat.kinds(handle):
            return
        await chat.hours(1)
    assert kind in chat.kinds(handle), f"{handle} got no {kind}: {chat.kinds(handle)}"


async def nudge_every_stalled_pair(chat: Chat, coordinator: str = "maya") -> int:
    """The coordinator presses "Nudge both" on every stall card they received."""
    pressed = 0
    for message in chat.inbox(coordinator):
        if message.kind != "stall":
            continue
        # A card may group several stalled pairs (a line and buttons each): press every one.
        for nudge in [b for b in message.buttons() if b.label == "Nudge both"]:
            [reply] = await chat.app.engine.handle(
                ButtonPressed(actor=chat.actor(coordinator), action=nudge.action, value=nudge.value)
            )
            assert reply.text.startswith("Nudged"), reply.text
            pressed += 1

    await chat.dispatcher.drain()
    return pressed


async def stalled_and_nudged(chat: Chat, *, coordinators: tuple[str, ...] = ("maya",)) -> None:
    """Ana and Ben never log a meeting; after three weeks Maya is told and nudges them, and
    the nudge reaches Ben. Eve, a second coordinator, is there when ``coordinators`` says."""
    await programme_with_pair(chat)
    for other in coordinators[1:]:
        await chat.say(other, "help")
        granted = await chat.say("maya", f"admin grant @{other} coordinator")
        assert "coordinator" in granted, granted
    await chat.wait(days=22)
    await until(chat, "maya", "stall")
    assert await nudge_every_stalled_pair(chat) == 1
    await until(chat, "ben", "coordinator_nudge")
    await until(chat, "ana", "coordinator_nudge")


async def ana_mentors_ben_and_cleo(chat: Chat) -> None:
    """Ana mentors two people in one programme: Ben and Cleo."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ana", "join buddies mentor --capacity 2")
    await chat.say("ben", "join buddies mentee")
    await chat.say("cleo", "join buddies mentee")
    for handle in ("ana", "ben", "cleo"):
        await accept_conduct(chat, handle, "buddies")
    for mentee in ("ben", "cleo"):
        paired = await chat.say("maya", f"pair @ana @{mentee} buddies")
        assert paired.startswith("Paired Ana (mentor)"), paired
