"""The buttons on the scheduler's notices answer only a notice that was sent to the person
pressing them, and still applies (issue 16, items 3 and 9).

A stall notice goes to each coordinator who is not in the pair; its Nudge both, Pause the
pair and End the pair buttons work for that coordinator alone. A still-meeting notice goes
to the pair; its Keep going button works once it has been sent.
"""

from __future__ import annotations

from sqlalchemy import select

from conversations import codec
from conversations.events import ButtonPressed
from storage.models import Pair, PairStatus
from tests.support.harness import Chat, programme_with_pair


async def _pair(chat: Chat) -> Pair:
    async with chat.app.sessions() as session:
        pair = (await session.scalars(select(Pair))).unique().one()
        session.expunge(pair)
        return pair


async def _press(chat: Chat, handle: str, action: str, pair: Pair) -> str:
    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor(handle), action=action, value=codec.Ref(pair.id).encode())
    )
    await chat.dispatcher.drain()
    return "\n".join(r.text for r in replies)


async def _stalled(chat: Chat) -> None:
    """Ana mentors Ben and never logs a meeting; three weeks on, Maya is told."""
    while "stall" not in chat.kinds("maya"):
        await chat.wait(days=2)


async def test_stall_buttons_work_only_for_a_stall_notice_sent_to_that_coordinator(
    chat: Chat,
) -> None:
    """Regression: the stall buttons took any pair in the workspace, so a crafted press
    paused, ended or nudged a pair nobody had been told was quiet."""
    await programme_with_pair(chat)
    pair = await _pair(chat)
    before = await chat.snapshot()
    for action in ("stall.nudge", "stall.pause", "stall.end"):
        assert await _press(chat, "maya", action, pair) == codec.OUT_OF_DATE, action
    assert await chat.snapshot() == before
    assert "coordinator_nudge" not in chat.kinds("ben")

    await _stalled(chat)
    assert (await chat.press("maya", "Pause the pair", kind="stall")).startswith("Paused")
    assert (await _pair(chat)).status == PairStatus.PAUSED


async def test_a_coordinator_in_a_stalled_pair_cannot_press_its_stall_buttons(
    chat: Chat,
) -> None:
    """Regression (issue 16 item 3): the planner sends a stall notice only to coordinators
    outside the pair, but a coordinator who mentors in it could press its buttons anyway,
    with a copy of the notice or a crafted value, and pause or end their own pairing as
    the programme team."""
    await chat.hello("maya")
    await chat.hello("ana")
    await chat.say("maya", "admin grant @ana coordinator")
    await programme_with_pair(chat)
    await _stalled(chat)
    assert "stall" not in chat.kinds("ana")
    pair = await _pair(chat)
    before = await chat.snapshot()
    for action in ("stall.nudge", "stall.pause", "stall.end"):
        said = await _press(chat, "ana", action, pair)
        assert said == "You're in this pairing, so another coordinator needs to do that.", said
    assert await chat.snapshot() == before
    assert "coordinator_nudge" not in chat.kinds("ben")


async def test_keep_going_without_a_still_meeting_notice_changes_nothing(chat: Chat) -> None:
    """Regression: "Keep going" took any pair its presser was in, so a crafted press every
    fortnight restarted the silence clocks and the coordinators never heard the pair had
    gone quiet."""
    await programme_with_pair(chat)
    pair = await _pair(chat)
    await chat.wait(days=10)
    before = await chat.snapshot()
    assert await _press(chat, "ben", "inactivity.keep", pair) == codec.OUT_OF_DATE
    assert await chat.snapshot() == before
    await _stalled(chat)  # the notice still comes when it is due

    while "inactivity_notice" not in chat.kinds("ben"):
        await chat.wait(days=7)
    kept = await chat.press("ben", "Keep going", kind="inactivity_notice")
    assert kept == "Good to hear. I'll keep things going as they are."
    before = await chat.snapshot()
    again = await chat.press("ana", "Keep going", kind="inactivity_notice")
    assert again == "Your pairing is already carrying on as it is; nothing more to do."
    assert await chat.snapshot() == before
