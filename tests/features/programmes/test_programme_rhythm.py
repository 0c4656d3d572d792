"""A programme's rhythm and its choice window, written the way coordinators say them.

Both are counted in days: "every 2 weeks", "1 month" and "2mo" work, quoted or not; a
rhythm of minutes or a window of hours is refused in a sentence and changes nothing,
never rounded to a day behind the coordinator's back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Programme
from tests.support.harness import Chat


async def _programme(chat: Chat, key: str = "buddies") -> Programme:
    async with chat.app.sessions() as session:
        found = await session.scalar(select(Programme).where(Programme.key == key))
    assert found is not None
    return found


async def _buddies(chat: Chat) -> None:
    reply = await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    assert "6 sessions, every week" in reply


async def test_a_cadence_written_every_2_weeks_is_kept_and_said_back(chat: Chat) -> None:
    await _buddies(chat)
    reply = await chat.say("maya", 'program set buddies --cadence "every 2 weeks"')
    assert reply == "Updated New-hire buddy: cadence: every 2 weeks."
    assert (await _programme(chat)).cadence_days == 14


async def test_a_cadence_of_1_month_works_without_quotes(chat: Chat) -> None:
    await _buddies(chat)
    reply = await chat.say("maya", "program set buddies --cadence 1 month")
    assert reply == "Updated New-hire buddy: cadence: every month."
    assert (await _programme(chat)).cadence_days == 30
    reply = await chat.say("maya", "program set buddies --cadence every 2 weeks")
    assert reply == "Updated New-hire buddy: cadence: every 2 weeks."
    assert (await _programme(chat)).cadence_days == 14


async def test_a_programme_created_with_a_cadence_of_2mo_runs_every_2_months(chat: Chat) -> None:
    reply = await chat.say(
        "maya", "program create slow --curriculum cross-department-career --cadence 2mo"
    )
    assert "12 sessions, every 2 months" in reply
    assert (await _programme(chat, "slow")).cadence_days == 60


async def _refused_and_unchanged(chat: Chat, command: str) -> str:
    before: dict[str, list[tuple[Any, ...]]] = await chat.snapshot()
    reply = await chat.say("maya", command)
    assert await chat.snapshot() == before, reply
    assert "Updated" not in reply
    return reply


async def test_a_cadence_of_30_minutes_is_refused_and_changes_nothing(chat: Chat) -> None:
    await _buddies(chat)
    for command in (
        'program set buddies --cadence "every 30 minutes"',
        "program set buddies --cadence every 30 minutes",
        "program set buddies --cadence 30m",
        "program set buddies --cadence 12h",
    ):
        reply = await _refused_and_unchanged(chat, command)
        assert "A programme's rhythm is counted in days" in reply, reply
        assert "e.g. 'every 2 weeks'" in reply, reply
    assert (await _programme(chat)).cadence_days == 7


async def test_an_unclear_cadence_is_refused_with_examples_and_changes_nothing(
    chat: Chat,
) -> None:
    await _buddies(chat)
    for written in ("1.5 weeks", "0 days", "-3d", "10 fortnights", "5 m o"):
        reply = await _refused_and_unchanged(chat, f'program set buddies --cadence "{written}"')
        assert "e.g." in reply, (written, reply)


async def test_a_choice_window_of_minutes_or_hours_is_refused_not_rounded(chat: Chat) -> None:
    await _buddies(chat)
    for written in ("5 minutes", "5m", "36h"):
        reply = await _refused_and_unchanged(chat, f"program set buddies --choice-window {written}")
        assert reply.startswith("The choice window is counted in whole days"), reply
        assert "e.g. '3d'" in reply, reply


async def test_a_choice_window_of_a_week_is_kept_in_days_and_said_in_weeks(chat: Chat) -> None:
    await _buddies(chat)
    reply = await chat.say("maya", "program set buddies --choice-window 1 week")
    assert reply == "Updated New-hire buddy: choice window: 1 week."
    assert (await _programme(chat)).settings["choice_window_days"] == 7
    reply = await chat.say("maya", "program set buddies --choice-window 3d --matching choice")
    assert reply == "Updated New-hire buddy: matching: choice; choice window: 3 days."


async def test_a_choice_window_longer_than_a_month_is_refused_in_words(chat: Chat) -> None:
    await _buddies(chat)
    reply = await _refused_and_unchanged(chat, "program set buddies --choice-window 2mo")
    assert "between 1 day and 1 month" in reply
