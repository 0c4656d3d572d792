"""Notices to one person that fall due together arrive as one card, not a flood.

A coordinator with ten stalled pairs used to get ten "A pair may need a hand" cards at
once, and a mentor with two mentees two reminders side by side. Now the dispatcher
delivers what falls due together for one person, of a kind that groups, as one card: a
line per notice, each with its own buttons. Each notice still stands on its own: a stale
one is skipped with its reason, and a group is delivered once even when the process
sending it dies mid-send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.delivery import Delivery, DeliveryError
from conversations.kinds import Kind
from conversations.messages import Message
from storage.models import OutboxMessage, OutboxStatus, Pair, PairStatus
from tests.support.harness import Chat, accept_conduct, delivery_behind

MENTORS = ("ana", "cleo", "eve", "gus", "ivy", "kai", "lea", "max", "noa", "oli")
MENTEES = ("ben", "dev", "fay", "hal", "ida", "jon", "kim", "lou", "mia", "ned")


async def coordinator_with_pairs(chat: Chat, count: int) -> list[tuple[str, str]]:
    """Maya runs one programme with ``count`` pairs, all paired at the same moment."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    pairs = list(zip(MENTORS[:count], MENTEES[:count], strict=True))
    for mentor, mentee in pairs:
        await chat.say(mentor, "join buddies mentor")
        await chat.say(mentee, "join buddies mentee")
        await accept_conduct(chat, mentor, "buddies")
        await accept_conduct(chat, mentee, "buddies")
        reply = await chat.say("maya", f"pair @{mentor} @{mentee} buddies")
        assert reply.startswith(f"Paired {mentor.title()} (mentor)"), reply
    return pairs


async def rows(chat: Chat, kind: str) -> list[OutboxMessage]:
    """The rows of a kind, in the order of their pairs (the order the pairs were made in;
    the planner may queue them in any order)."""
    async with chat.app.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == kind)
                .order_by(OutboxMessage.pair_id, OutboxMessage.id)
            )
        )


async def lead(chat: Chat) -> tuple[OutboxMessage, str]:
    """The stall row whose key its card went out under, and its pair's mentee."""
    stalls = await rows(chat, Kind.STALL)
    keys = {r.travels_with for r in stalls}
    assert len(keys) == 1, keys  # every row records the one key the card goes out under
    [first] = [r for r in stalls if r.idempotency_key in keys]
    async with chat.app.sessions() as session:
        pair = await session.get(Pair, first.pair_id)
        assert pair is not None
        return first, pair.mentee.platform_user_id


def lines(message: Message) -> list[str]:
    assert message.card is not None
    return [section.text for section in message.card.sections]


async def status_of(chat: Chat, mentee: str) -> str:
    async with chat.app.sessions() as session:
        pairs = (await session.scalars(select(Pair))).all()
        found = [p for p in pairs if p.mentee.platform_user_id == mentee]
    assert len(found) == 1
    return found[0].status


async def test_a_coordinator_with_ten_stalled_pairs_gets_one_card_with_a_line_for_each(
    chat: Chat,
) -> None:
    """Regression: ten pairs stalled together meant ten "A pair may need a hand" cards."""
    pairs = await coordinator_with_pairs(chat, 10)
    await chat.wait(days=22)
    assert chat.kinds("maya", only=(Kind.STALL,)) == [Kind.STALL]
    card = chat.last("maya", Kind.STALL)
    assert card.card is not None
    assert card.card.header == "10 pairs may need a hand"
    said = lines(card)
    assert len(said) == 10
    named = sorted(line.split(" haven't")[0] for line in said)
    assert named == sorted(f"{m.title()} and {e.title()} in New-hire buddy" for m, e in pairs)
    for section in card.card.sections:
        assert [b.label for b in section.buttons] == [
            "Nudge both",
            "Pause the pair",
            "End the pair",
        ]
    assert card.card.buttons == ()
    for mentor, mentee in pairs:  # the text alone says who, for a client without cards
        assert f"{mentor.title()} and {mentee.title()}" in card.text
    stalls = await rows(chat, Kind.STALL)
    assert len(stalls) == 10
    assert {r.status for r in stalls} == {OutboxStatus.SENT}
    assert len({r.platform_message_id for r in stalls}) == 1  # one message, one platform id


async def test_pressing_one_line_of_a_grouped_card_acts_on_that_pair_only(chat: Chat) -> None:
    await coordinator_with_pairs(chat, 3)
    await chat.wait(days=22)
    paused = await chat.press("maya", "Pause the pair", kind=Kind.STALL, line="Cleo and Dev")
    assert "Paused" in paused and "Cleo" in paused, paused
    assert [await status_of(chat, m) for m in ("ben", "dev", "fay")] == [
        PairStatus.ACTIVE,
        PairStatus.PAUSED,
        PairStatus.ACTIVE,
    ]
    nudged = await chat.press("maya", "Nudge both", kind=Kind.STALL, line="Eve and Fay")
    assert "refused" not in nudged
    await chat.hours(24)
    assert Kind.COORDINATOR_NUDGE in chat.kinds("fay")
    assert Kind.COORDINATOR_NUDGE not in chat.kinds("ben")


async def test_a_mentor_with_two_mentees_gets_one_card_for_two_reminders(chat: Chat) -> None:
    """Regression: a mentor with two mentees got two check-in reminders in one batch."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ana", "join buddies mentor --capacity 2")
    for handle in ("ben", "cleo"):
        await chat.say(handle, "join buddies mentee")
    for handle in ("ana", "ben", "cleo"):
        await accept_conduct(chat, handle, "buddies")
    for mentee in ("ben", "cleo"):
        reply = await chat.say("maya", f"pair @ana @{mentee} buddies")
        assert reply.startswith("Paired Ana (mentor)"), reply
        logged = await chat.say(mentee, "met")
        assert "Logged" in logged or "logged" in logged, logged
    await chat.wait(days=2)
    await chat.hours(24)
    reminders = [m for m in chat.inbox("ana") if m.kind in (Kind.REMINDER, Kind.CHECKIN_REMINDER)]
    assert [m.kind for m in reminders] == [Kind.REMINDER]  # one card, not two
    [card] = reminders
    assert card.card is not None and card.card.inputs == ()  # a form is opened, not inlined
    assert card.card.header == "2 forms are waiting for your answer"
    said = lines(card)
    assert len(said) == 2
    assert any("Ben" in line for line in said) and any("Cleo" in line for line in said)
    assert [[b.label for b in s.buttons] for s in card.card.sections] == [
        ["Open the form"],
        ["Open the form"],
    ]
    # Each line opens that pair's own form, which answers that pair's check-in only.
    await chat.press("ana", "Open the form", kind=Kind.REMINDER, line="Cleo")
    form = chat.last("ana", Kind.CHECKIN)
    assert form.card is not None and form.card.submit is not None
    assert "Cleo" in form.text
    thanked = await chat.submit("ana", {"rating": "5"}, kind=Kind.CHECKIN)
    assert "Thank" in thanked or "thank" in thanked, thanked
    for mentee in ("ben", "cleo"):  # the mentees, one reminder each, got theirs as before
        assert chat.kinds(mentee, only=(Kind.CHECKIN_REMINDER,)) == [Kind.CHECKIN_REMINDER]


async def test_a_stale_notice_in_a_group_is_skipped_with_its_reason_and_the_rest_go_together(
    chat: Chat,
) -> None:
    await coordinator_with_pairs(chat, 3)
    async with delivery_behind(chat):
        await chat.wait(days=22)
        assert "paused" in (await chat.say("dev", "pause")).lower()
    card = chat.last("maya", Kind.STALL)
    assert card.card is not None and card.card.header == "2 pairs may need a hand"
    said = lines(card)
    assert sorted(line.split(" in New-hire buddy")[0] for line in said) == [
        "Ana and Ben",
        "Eve and Fay",
    ]
    stalls = await rows(chat, Kind.STALL)
    assert [(r.status, r.last_error) for r in stalls] == [
        (OutboxStatus.SENT, None),
        (OutboxStatus.SKIPPED, "the pairing is paused"),
        (OutboxStatus.SENT, None),
    ]
    assert stalls[0].platform_message_id == stalls[2].platform_message_id


async def test_a_notice_that_stops_holding_just_before_the_send_leaves_the_group(
    chat: Chat,
) -> None:
    """The holds are checked again as each row's lease is renewed, just before the send: a
    row that fails then is skipped on its own and the card says one pair fewer."""
    await coordinator_with_pairs(chat, 3)
    async with chat.app.sessions() as session:
        middle = await session.scalar(select(Pair.id).order_by(Pair.id).offset(1).limit(1))
    checks = 0
    pair_check = chat.dispatcher.conditions["pair"]

    async def flips(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
        nonlocal checks
        if fields.get("pair") == middle:
            checks += 1
            if checks > 1:  # true when rendered, untrue when its lease is renewed
                return "it stopped being true a moment ago"
        return await pair_check(session, fields)

    async with delivery_behind(chat):
        await chat.wait(days=22)
        chat.dispatcher.conditions = {**chat.dispatcher.conditions, "pair": flips}
    card = chat.last("maya", Kind.STALL)
    assert card.card is not None and card.card.header == "2 pairs may need a hand"
    stalls = await rows(chat, Kind.STALL)
    assert [(r.status, r.last_error) for r in stalls] == [
        (OutboxStatus.SENT, None),
        (OutboxStatus.SKIPPED, "it stopped being true a moment ago"),
        (OutboxStatus.SENT, None),
    ]


class Killed(BaseException):
    """The process dies: nothing after this line of the dispatcher runs."""


@dataclass
class Platform:
    """A platform that remembers what arrived under which key, and can say so after a
    crash (as Slack does from a message's metadata); it can kill the sender mid-send of the
    stalled-pair notices, or fail it once."""

    arrived: dict[str, list[Message]] = field(default_factory=dict)
    die: str = ""
    """"after": the sender dies once the message is posted; "before": as it would post."""
    failures: int = 0

    async def send(self, delivery: Delivery) -> str | None:
        stall = delivery.message.kind == Kind.STALL  # the others come and go as usual
        if stall and self.die == "before":
            self.die = ""
            raise Killed
        if stall and self.failures:
            self.failures -= 1
            raise DeliveryError("platform said 500")
        self.arrived.setdefault(delivery.key, []).append(delivery.message)
        if stall and self.die == "after":
            self.die = ""
            raise Killed
        return f"m-{delivery.key}"

    async def confirm(self, delivery: Delivery) -> str | None:
        return f"m-{delivery.key}" if delivery.key in self.arrived else None

    def stalls(self) -> list[Message]:
        return [m for sent in self.arrived.values() for m in sent if m.kind == Kind.STALL]


async def _stalled_behind(chat: Chat, platform: Platform) -> None:
    """Three pairs stall; their notices wait, then a dispatcher on ``platform`` takes them."""
    await coordinator_with_pairs(chat, 3)
    chat.dispatcher.platforms = frozenset()  # delivery falls behind: nothing is claimed
    await chat.wait(days=22)
    chat.dispatcher = chat.app.dispatcher(platform, concurrency=1, platforms=frozenset({"console"}))


async def _crash_and_recover(chat: Chat, platform: Platform) -> None:
    crashed = chat.dispatcher
    with pytest.raises(Killed):
        await crashed.drain()
    sending = [r for r in await rows(chat, Kind.STALL) if r.status == OutboxStatus.SENDING]
    assert len(sending) == 3  # left leased by the dead process
    chat.clock.advance(timedelta(minutes=5))  # its leases run out
    chat.dispatcher = chat.app.dispatcher(platform, concurrency=1, platforms=frozenset({"console"}))
    assert chat.dispatcher.worker != crashed.worker
    await chat.dispatcher.drain()


async def test_a_group_is_delivered_once_when_the_sender_dies_after_posting_it(
    chat: Chat,
) -> None:
    platform = Platform(die="after")
    await _stalled_behind(chat, platform)
    await _crash_and_recover(chat, platform)
    [card] = platform.stalls()  # one card, posted once: the recovery confirmed it
    assert card.card is not None and card.card.header == "3 pairs may need a hand"
    stalls = await rows(chat, Kind.STALL)
    assert {r.status for r in stalls} == {OutboxStatus.SENT}
    first, _ = await lead(chat)
    assert {r.platform_message_id for r in stalls} == {f"m-{first.idempotency_key}"}


async def test_a_group_whose_first_notice_went_stale_after_posting_is_not_posted_again(
    chat: Chat,
) -> None:
    """The others travelled with the first row's key: they confirm with it, even when the
    first row itself is no longer true by the time the recovery looks."""
    platform = Platform(die="after")
    await _stalled_behind(chat, platform)
    crashed = chat.dispatcher
    with pytest.raises(Killed):
        await crashed.drain()
    first, mentee = await lead(chat)
    assert "paused" in (await chat.say(mentee, "pause")).lower()  # the first line's pair
    chat.clock.advance(timedelta(minutes=5))
    chat.dispatcher = chat.app.dispatcher(platform, concurrency=1, platforms=frozenset({"console"}))
    await chat.dispatcher.drain()
    assert len(platform.stalls()) == 1
    others = [r for r in await rows(chat, Kind.STALL) if r.id != first.id]
    assert [(r.status, r.platform_message_id) for r in others] == [
        (OutboxStatus.SENT, f"m-{first.idempotency_key}")
    ] * 2


async def test_a_group_is_delivered_once_when_the_sender_dies_before_posting_it(
    chat: Chat,
) -> None:
    platform = Platform(die="before")
    await _stalled_behind(chat, platform)
    await _crash_and_recover(chat, platform)
    [card] = platform.stalls()
    assert card.card is not None and card.card.header == "3 pairs may need a hand"
    stalls = await rows(chat, Kind.STALL)
    assert {r.status for r in stalls} == {OutboxStatus.SENT}
    assert len({r.platform_message_id for r in stalls}) == 1


async def test_a_group_that_fails_to_send_is_retried_and_still_goes_as_one_card(
    chat: Chat,
) -> None:
    platform = Platform(failures=1)
    await _stalled_behind(chat, platform)
    await chat.dispatcher.drain()
    stalls = await rows(chat, Kind.STALL)
    assert [(r.status, r.attempts, r.last_error) for r in stalls] == [
        (OutboxStatus.PENDING, 1, "platform said 500")
    ] * 3
    chat.clock.advance(timedelta(hours=2))
    await chat.dispatcher.drain()
    [card] = platform.stalls()
    assert card.card is not None and card.card.header == "3 pairs may need a hand"
    stalls = await rows(chat, Kind.STALL)
    assert [(r.status, r.attempts) for r in stalls] == [(OutboxStatus.SENT, 2)] * 3
