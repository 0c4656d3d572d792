"""A pulse answer counts only for a pulse that was sent to that person and is still open
(issue 16, item 9)."""

from __future__ import annotations

from sqlalchemy import func, select

from conversations import codec
from conversations.events import FormSubmitted
from storage.models import Pair, PulseResponse
from tests.support.harness import Chat, programme_with_pair


async def _responses(chat: Chat) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count(PulseResponse.id))) or 0)


async def _forge(chat: Chat, handle: str, value: str) -> str:
    replies = await chat._run(
        handle,
        FormSubmitted(
            actor=chat.actor(handle), action="pulse", value=value, values={"rating": "5"}
        ),
    )
    return "\n".join(r.text for r in replies)


async def test_crafted_pulse_answers_for_days_never_asked_count_for_nothing(chat: Chat) -> None:
    """Regression: the pulse handler took any day number: 40 crafted submissions moved
    "Milestone check-ins" from 0 to 40."""
    await programme_with_pair(chat)
    async with chat.app.sessions() as session:
        pair_id = (await session.scalars(select(Pair.id))).one()
    for day in range(40):
        said = await _forge(chat, "ben", codec.PulseAnswer(pair_id, day).encode())
        assert said == codec.OUT_OF_DATE, said
    assert await _responses(chat) == 0

    while "pulse" not in chat.kinds("ben"):
        await chat.wait(days=7)
    assert "Thank" in await chat.submit("ben", {"rating": "4"}, kind="pulse")
    assert await _responses(chat) == 1


async def test_a_pulse_cannot_be_answered_once_the_pairing_has_ended(chat: Chat) -> None:
    await programme_with_pair(chat)
    while "pulse" not in chat.kinds("ana"):
        await chat.wait(days=7)
    await chat.say("ben", "leave buddies")
    said = await chat.submit("ana", {"rating": "2"}, kind="pulse")
    assert said == "This pairing has ended, so there's nothing more to answer for it."
    assert await _responses(chat) == 0
