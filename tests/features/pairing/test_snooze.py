"""Snoozing for as long as a person says: minutes are minutes, months are months."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from storage.models import Person
from tests.support.harness import START, Chat


async def _snoozed_until(chat: Chat, handle: str) -> datetime | None:
    async with chat.app.sessions() as session:
        return await session.scalar(
            select(Person.snoozed_until).where(Person.platform_user_id == handle)
        )


async def test_snooze_30_minutes_holds_nudges_for_half_an_hour_and_says_until_when(
    chat: Chat,
) -> None:
    reply = await chat.say("ben", "snooze 30 minutes")
    # Ben is in Halifax (UTC-4 in March): 14:00 UTC is 10:00 there.
    assert reply.startswith("Snoozed for 30 minutes, until 10:30 on Mon 2 Mar."), reply
    assert await _snoozed_until(chat, "ben") == START + timedelta(minutes=30)


async def test_snooze_30m_means_minutes_not_months(chat: Chat) -> None:
    reply = await chat.say("ben", "snooze 30m")
    assert reply.startswith("Snoozed for 30 minutes"), reply
    assert await _snoozed_until(chat, "ben") == START + timedelta(minutes=30)


async def test_snooze_a_month_or_2mo_is_said_in_months(chat: Chat) -> None:
    reply = await chat.say("ben", "snooze 1 month")
    assert reply.startswith("Snoozed for 1 month, until Wed 1 Apr."), reply
    assert await _snoozed_until(chat, "ben") == START + timedelta(days=30)
    reply = await chat.say("ben", "snooze 2mo")
    assert reply.startswith("Snoozed for 2 months, until Fri 1 May."), reply


async def test_snooze_an_hour_or_2_weeks_reads_like_a_person_wrote_it(chat: Chat) -> None:
    assert (await chat.say("ben", "snooze an hour")).startswith("Snoozed for 1 hour, until 11:00")
    assert (await chat.say("ben", "snooze 2 weeks")).startswith(
        "Snoozed for 2 weeks, until Mon 16 Mar."
    )


async def test_snoozing_longer_than_the_limit_is_refused_in_months_and_changes_nothing(
    chat: Chat,
) -> None:
    await chat.say("ben", "help")
    before = await chat.snapshot()
    reply = await chat.say("ben", "snooze 4 months")
    assert "at most 3 months" in reply
    assert "90 days" not in reply and "minutes" not in reply
    assert await chat.snapshot() == before


async def test_an_unclear_snooze_is_refused_with_examples(chat: Chat) -> None:
    await chat.say("ben", "help")
    before = await chat.snapshot()
    for unclear in ("snooze 1.5 weeks", "snooze 0 days", "snooze -3d", "snooze 5 m o"):
        reply = await chat.say("ben", unclear)
        assert "e.g." in reply, (unclear, reply)
        assert not reply.startswith("Snoozed"), (unclear, reply)
    assert await chat.snapshot() == before
