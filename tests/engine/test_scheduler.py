"""Nudges arrive at sensible local times, exactly once, and only while they are needed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from conversations.delivery import DeliveryError
from storage.models import (
    Meeting,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    Person,
    PulseResponse,
)
from tests.support.harness import ZONES, Chat, accept_conduct, more_people


def inside_hours(moment: datetime, zone: str) -> bool:
    local = moment.astimezone(ZoneInfo(zone))
    return local.weekday() < 5 and 9 <= local.hour < 17


async def _pair(chat: Chat, mentor: str = "cleo", mentee: str = "ben") -> None:
    """Maya pairs Cleo (London) with Ben (Halifax) in a weekly programme."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say(mentor, "join buddies mentor")
    await chat.say(mentee, "join buddies mentee")
    await accept_conduct(chat, mentor, "buddies")
    await accept_conduct(chat, mentee, "buddies")
    await chat.say(
        "maya", f"pair <@{mentor}|{mentor.title()}> <@{mentee}|{mentee.title()}> buddies"
    )


def _delivered(chat: Chat, kind: str, who: str = "ben") -> list[datetime]:
    return [when for when, person, k in chat.transport.log if k == kind and person == who]


async def _rows(chat: Chat, kind: str) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        )


@pytest.mark.slow
async def test_everything_reaches_each_person_in_their_own_working_hours_across_dst(
    chat: Chat,
) -> None:
    await _pair(chat)
    await chat.hours(24 * 19)  # 2 to 21 March: North America changes clocks on 8 March
    assert _delivered(chat, "agenda") and _delivered(chat, "meet_nudge")
    for when, person, kind in chat.transport.log:
        assert inside_hours(when, ZONES.get(person, "UTC")), (when, person, kind)
    summer = [w for w in _delivered(chat, "agenda") if w > datetime(2026, 3, 9, tzinfo=UTC)]
    assert summer and all(inside_hours(w, "America/Halifax") for w in summer)


@pytest.mark.slow
async def test_a_pair_with_no_shared_working_hours_hears_while_both_are_awake(chat: Chat) -> None:
    await _pair(chat, mentor="ana", mentee="dev")  # Toronto and Kolkata
    await chat.hours(24 * 8)
    [asked] = _delivered(chat, "meet_due", who="dev")  # session 1 fell due on day 7
    for zone in ("America/Toronto", "Asia/Kolkata"):
        assert 7 <= asked.astimezone(ZoneInfo(zone)).hour < 21


@pytest.mark.slow
async def test_quiet_days_hold_nudges_until_the_next_working_day(chat: Chat) -> None:
    await _pair(chat)
    assert "Quiet days: 2026-03-05" in await chat.say("maya", "quiet add 2026-03-05")
    await chat.hours(24 * 4)
    [nudge] = _delivered(chat, "meet_nudge")
    assert nudge == datetime(2026, 3, 6, 13, tzinfo=UTC)  # Friday, when both are at work


@pytest.mark.slow
async def test_a_nudge_no_longer_needed_is_skipped_not_sent(chat: Chat) -> None:
    await _pair(chat)
    await chat.hours(85)  # the mid-cycle nudge is queued overnight, for the morning
    [row] = await _rows(chat, "meet_nudge")
    assert row.status == OutboxStatus.PENDING
    await chat.say("ben", "met")
    await chat.hours(24)
    [row] = await _rows(chat, "meet_nudge")
    assert row.status == OutboxStatus.SKIPPED
    assert _delivered(chat, "meet_nudge") == []


@pytest.mark.slow
async def test_after_downtime_what_is_useful_goes_once_and_nothing_bursts(chat: Chat) -> None:
    await _pair(chat)
    chat.clock.advance(timedelta(days=35))  # five cadences pass with no process running
    await chat.hours(24)
    # Asked once whether they met; the session stays open for its grace period from now.
    assert len(_delivered(chat, "meet_due")) == 1
    assert _delivered(chat, "agenda") == []
    assert len(_delivered(chat, "meet_nudge")) <= 1
    assert len(_delivered(chat, "stall", who="maya")) == 1
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None and pair.session_index == 0
    await chat.hours(72)  # then it passes unheard: one agenda, not five
    assert len(_delivered(chat, "agenda")) == 1
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None and pair.session_index == 1


@pytest.mark.slow
async def test_an_unanswered_checkin_is_reminded_at_most_twice(chat: Chat) -> None:
    await _pair(chat)
    await chat.say("ben", "met")
    await chat.say("cleo", "checkin 5")
    await chat.hours(24 * 8)
    reminders = _delivered(chat, "checkin_reminder")
    assert len(reminders) == 2
    assert reminders[1] - reminders[0] >= timedelta(hours=48)
    assert _delivered(chat, "checkin_reminder", who="cleo") == []
    await chat.say("ben", "checkin 4")
    await chat.hours(24 * 4)
    assert len(_delivered(chat, "checkin_reminder")) == 2


@pytest.mark.slow
async def test_milestone_pulses_arrive_and_are_recorded(chat: Chat) -> None:
    await _pair(chat)
    for _ in range(2):  # keep meeting so nobody stalls
        await chat.wait(days=6)
        await chat.say("ben", "met")
    await chat.hours(24 * 3)
    pulses = _delivered(chat, "pulse")
    assert len(pulses) == 1  # new-hire buddy's first milestone is day 14
    assert "Thank you" in await chat.submit(
        "ben", {"rating": "4", "comment": "settling in"}, kind="pulse"
    )
    assert "already answered" in await chat.submit("ben", {"rating": "1"}, kind="pulse")
    async with chat.app.sessions() as session:
        ratings = (await session.scalars(select(PulseResponse.rating))).all()
    assert ratings == [4]


@pytest.mark.slow
async def test_a_stalled_pair_is_escalated_to_coordinators_with_one_click_actions(
    chat: Chat,
) -> None:
    await _pair(chat)
    await chat.hours(24 * 22)
    stall = chat.last("maya", "stall")
    assert "haven't logged a meeting in the 3 weeks since they started." in stall.text
    assert [b.label for b in stall.buttons()] == ["Nudge both", "Pause the pair", "End the pair"]
    assert "refused" not in (await chat.press("maya", "Nudge both", kind="stall"))
    await chat.hours(24)
    assert chat.kinds("ben")[-1] == "coordinator_nudge"
    chat.transport.last_card["ben"] = stall
    from conversations.events import ButtonPressed

    pause = stall.buttons()[1]
    [refused] = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("ben"), action=pause.action, value=pause.value)
    )
    assert refused.text == "Only coordinators can do that."
    assert "Paused" in await chat.press("maya", "Pause the pair", kind="stall")
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None and (pair.status, pair.paused_by) == (
        PairStatus.PAUSED,
        "programme team",
    )


@pytest.mark.slow
async def test_a_long_silence_gives_notice_then_pauses(chat: Chat) -> None:
    await _pair(chat)
    await chat.wait(days=84)
    await chat.hours(24)
    notice = chat.last("ben", "inactivity_notice")
    assert "I'll pause your pairing on" in notice.text
    await chat.wait(days=8)
    await chat.hours(24)
    assert "auto_paused" in chat.kinds("ben")
    assert "paused" in await chat.say("ben", "status")
    before = len(chat.kinds("ben"))
    await chat.wait(days=30)
    assert len(chat.kinds("ben")) == before  # nothing more while paused


@pytest.mark.slow
async def test_keep_going_cancels_the_pause(chat: Chat) -> None:
    await _pair(chat)
    await chat.wait(days=84)
    await chat.hours(24)
    assert "keep things going" in await chat.press("ben", "Keep going", kind="inactivity_notice")
    await chat.wait(days=8)
    await chat.hours(24)
    assert "auto_paused" not in chat.kinds("ben")


@pytest.mark.slow
async def test_snoozed_nudges_are_held_and_stale_ones_dropped(chat: Chat) -> None:
    await _pair(chat)
    await chat.say("ben", "met")
    reply = await chat.say("ben", "snooze 1w")
    assert reply.startswith("Snoozed for 1 week, until Mon 9 Mar.")
    assert (await chat.say("ben", "status")).startswith("•")  # replies still come at once
    await chat.hours(24 * 8)
    assert _delivered(chat, "checkin_reminder") == []
    assert len(_delivered(chat, "checkin_reminder", who="cleo")) == 2  # Cleo's carry on
    async with chat.app.sessions() as session:
        held = (
            await session.scalars(
                select(OutboxMessage.last_error).where(
                    OutboxMessage.kind == "reminder",
                    OutboxMessage.person_id.in_(
                        select(Person.id).where(Person.platform_user_id == "ben")
                    ),
                )
            )
        ).all()
    assert held == ["stale: its moment passed while it waited"] * 2
    assert "Snooze off" in await chat.say("ben", "snooze off")


async def test_failed_messages_stay_visible_and_can_be_retried(chat: Chat) -> None:
    class Broken:
        async def send(self, delivery: object) -> str | None:
            raise DeliveryError("channel_not_found", permanent=True)

    working = chat.dispatcher
    chat.dispatcher = chat.app.dispatcher(Broken(), concurrency=1, platforms=frozenset({"console"}))
    await _pair(chat)
    shown = await chat.say("maya", "outbox")
    # The introduction failed, and so did the notice telling Maya about it (no cascade).
    assert "2 failed" in shown and "introduction to a pair" in shown
    assert "channel_not_found" in shown
    chat.dispatcher = working
    assert await chat.say("maya", "outbox retry all") == "Queued 2 messages to try again."
    await chat.dispatcher.drain()
    assert chat.kinds("ben") == ["introduction"]
    assert "could not be delivered: channel_not_found" in chat.last("maya", "delivery_problem").text
    assert "Only coordinators can use outbox" in await chat.say("ben", "outbox")


async def test_two_planners_at_once_advance_each_pair_once(chat: Chat) -> None:
    await _pair(chat)

    async def both_tick() -> tuple[Pair, dict[str, int]]:
        results = await asyncio.gather(
            chat.app.engine.tick(), chat.app.engine.tick(), return_exceptions=True
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        async with chat.app.sessions() as session:
            pair = await session.scalar(select(Pair))
            queued = dict(
                (
                    await session.execute(
                        select(OutboxMessage.kind, func.count(OutboxMessage.id))
                        .where(OutboxMessage.kind.in_(("meet_due", "agenda")))
                        .group_by(OutboxMessage.kind)
                    )
                ).all()
            )
        assert pair is not None
        return pair, queued

    chat.clock.advance(timedelta(days=7))  # session 1 falls due: asked once, stays open
    pair, queued = await both_tick()
    assert pair.session_index == 0 and queued == {"meet_due": 1}
    chat.clock.advance(timedelta(days=4))  # and passes unheard: moved on once
    pair, queued = await both_tick()
    assert pair.session_index == 1 and queued == {"meet_due": 1, "agenda": 1}
    async with chat.app.sessions() as session:
        unheard = await session.scalar(select(func.count()).select_from(Meeting))
    assert unheard == 1


@pytest.mark.slow
async def test_the_weekly_digest_arrives_at_the_executives_local_time_once_a_week(
    chat: Chat,
) -> None:
    await _pair(chat)
    await more_people(chat, "buddies", ("dev", "eve", "fay"))
    await chat.hello("ana")
    reply = await chat.say("maya", "digest subscribe <@ana|Ana> buddies mon 08:00")
    assert reply == (
        "Ana will get the weekly digest for New-hire buddy every Mon at 08:00 "
        "their time (America/Toronto)."
    )
    await chat.say("ben", "met")
    await chat.hours(24 * 15)  # across the 8 March clock change
    sent = _delivered(chat, "digest", who="ana")
    assert [w.astimezone(ZoneInfo("America/Toronto")).strftime("%a %H:%M") for w in sent] == [
        "Mon 08:00",
        "Mon 08:00",
    ]
    digest = chat.last("ana", "digest")
    assert "1 active pairs" in digest.text and "Ben" not in digest.text
    assert await chat.say("ana", "digest unsubscribe") == "Stopped the weekly digest for Ana."
    await chat.hours(24 * 8)
    assert len(_delivered(chat, "digest", who="ana")) == 2
    assert "Only coordinators can stop someone else's digest" in await chat.say(
        "ben", "digest unsubscribe <@maya|Maya>"
    )
