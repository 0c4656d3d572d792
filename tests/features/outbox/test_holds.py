"""A message must still be true when it is sent.

Each queued message states what must still hold when it goes out; the dispatcher checks
it just before sending and skips a stale message, recording why. The journeys below
queue a message, change the world before it is delivered (delivery falls behind: the
recipient's working hours, a backlog, a retry), and then let delivery catch up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.delivery import Dispatcher
from conversations.holds import Hold, encode
from conversations.kinds import Kind
from conversations.messages import Message
from storage import repositories as repo
from storage.models import OutboxMessage, OutboxStatus, Programme, Workspace
from tests.support.harness import Chat, accept_conduct, delivery_behind


async def rows(chat: Chat, kind: str) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.kind == kind)
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


async def open_programme(chat: Chat) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ana", "join buddies mentor --department Engineering --skills python")
    await chat.say("ben", "join buddies mentee --department Sales --interests python")
    for handle in ("ana", "ben"):
        await accept_conduct(chat, handle, "buddies")


async def test_an_introduction_queued_before_a_block_is_never_delivered(chat: Chat) -> None:
    """Regression: Ben blocked Ana before their introduction went out; Ana got "your pairing
    has ended" and then "Meet your mentoring partner"."""
    await open_programme(chat)
    async with delivery_behind(chat):
        paired = await chat.say("maya", "pair @ana @ben buddies")
        assert paired.startswith("Paired Ana (mentor) with Ben (mentee)"), paired
        await chat.say("ben", "block @ana")
    assert chat.kinds("ana", only=("introduction", "pairing_ended")) == ["pairing_ended"]
    assert "introduction" not in chat.kinds("ben")
    [intro] = await rows(chat, Kind.INTRODUCTION)
    assert (intro.status, intro.last_error) == (OutboxStatus.SKIPPED, "the pairing has ended")


async def test_a_code_of_conduct_card_is_not_sent_to_someone_who_has_already_agreed(
    chat: Chat,
) -> None:
    """Regression: the card a coordinator's enrolment queued for Ana's working hours reached
    her after she had agreed, and been matched."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.hello("ana")
    await chat.say("ben", "join buddies mentee --department Sales --interests python")
    await accept_conduct(chat, "ben", "buddies")
    async with delivery_behind(chat):
        enrolled = await chat.say("maya", "enroll @ana buddies mentor --skills python")
        assert "Ana" in enrolled, enrolled
        await accept_conduct(chat, "ana", "buddies")
        paired = await chat.say("maya", "pair @ana @ben buddies")
        assert paired.startswith("Paired Ana (mentor) with Ben (mentee)"), paired
    assert "conduct" not in chat.kinds("ana")
    assert "introduction" in chat.kinds("ana")

    [card] = await rows(chat, Kind.CONDUCT)
    assert (card.status, card.last_error) == (
        OutboxStatus.SKIPPED,
        "they have already agreed to the code of conduct",
    )


async def test_a_pause_notice_is_not_delivered_once_the_pair_has_picked_up_again(
    chat: Chat,
) -> None:
    await open_programme(chat)
    await chat.say("maya", "pair @ana @ben buddies")
    async with delivery_behind(chat):
        await chat.say("ben", "pause")
        await chat.say("ben", "resume")
    assert "pause_notice" not in chat.kinds("ana")
    assert chat.kinds("ana", only=("resume_notice",)) == ["resume_notice"]
    [notice] = await rows(chat, Kind.PAUSE_NOTICE)
    assert (notice.status, notice.last_error) == (
        OutboxStatus.SKIPPED,
        "the pairing is no longer paused",
    )


async def _queue(chat: Chat, holds: list[Hold]) -> int:
    await chat.hello("ana")
    async with chat.app.sessions.begin() as session:
        workspace = await session.scalar(select(Workspace))
        assert workspace is not None
        person = await repo.person_by_platform_id(
            session, workspace_id=workspace.id, platform_user_id="ana"
        )
        assert person is not None
        await repo.enqueue(
            session,
            workspace_id=workspace.id,
            key="test:held",
            kind=Kind.ANNOUNCEMENT,
            payload=Message(text="Still true?", kind=Kind.ANNOUNCEMENT).to_json(),
            person_id=person.id,
            not_before=chat.clock.now(),
            created_at=chat.clock.now(),
            timing="now",
            holds=encode(holds),
        )
    [row] = await rows(chat, Kind.ANNOUNCEMENT)
    return row.id


async def test_a_hold_that_stops_holding_just_before_the_send_is_caught(chat: Chat) -> None:
    """The dispatcher checks again in the transaction that renews its lease, just before
    the send: a change between rendering and sending still stops the message."""
    answers = iter([None, "it stopped being true a moment ago"])

    async def flips(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
        return next(answers)

    await _queue(chat, [Hold("flips")])
    dispatcher: Dispatcher = chat.app.dispatcher(
        chat.transport, concurrency=1, platforms=frozenset({"console"})
    )
    dispatcher.conditions = {**dispatcher.conditions, "flips": flips}
    assert await dispatcher.drain() == 0
    assert "announcement" not in chat.kinds("ana")
    [row] = await rows(chat, Kind.ANNOUNCEMENT)
    assert (row.status, row.last_error) == (
        OutboxStatus.SKIPPED,
        "it stopped being true a moment ago",
    )
    assert dispatcher.stats.skipped == 1


async def test_a_hold_this_version_does_not_know_stops_the_message(chat: Chat) -> None:
    await _queue(chat, [Hold("from_a_newer_version", {"pair": 1})])
    await chat.dispatcher.drain()
    assert "announcement" not in chat.kinds("ana")
    [row] = await rows(chat, Kind.ANNOUNCEMENT)
    assert row.status == OutboxStatus.SKIPPED
    assert row.last_error == (
        "it depends on something this version does not know (from_a_newer_version)"
    )


async def test_a_message_whose_holds_still_hold_is_delivered(chat: Chat) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    async with chat.app.sessions() as session:
        [programme_id] = (await session.scalars(select(Programme.id))).all()
    await _queue(chat, [Hold("programme_open", {"programme": programme_id})])
    await chat.dispatcher.drain()
    assert chat.kinds("ana", only=("announcement",)) == ["announcement"]
