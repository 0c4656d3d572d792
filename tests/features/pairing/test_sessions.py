"""Sessions follow meetings: a session moves on when it is met, skipped, or passes unheard.

Regression (issue 15): a pair meeting every 14 days on a fortnightly programme logged its
meetings as sessions 1, 2, 4, 6, 8, 10, 12. The agenda job moved the pair on the moment the
next agenda fell due, so each meeting, logged a little later, counted for the session after
the one that was due; the export then read "12 of 12, 7 met, completed" three months into a
six-month programme.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from storage.models import Meeting, MeetingOutcome, Pair, PairStatus
from tests.support.harness import Chat, more_people, programme_with_pair

HOURS = 1 / 24


async def _export(chat: Chat, key: str) -> list[dict[str, str]]:
    await chat.say("maya", f"export {key}")
    (attachment,) = chat.replies["maya"][-1].attachments
    return list(csv.DictReader(io.StringIO(attachment.data.decode("utf-8-sig"))))


async def _logged(chat: Chat) -> list[tuple[int, str]]:
    """Every session outcome on record, as (session number, outcome), in the order logged."""
    async with chat.app.sessions() as session:
        rows = await session.execute(
            select(Meeting.session_index, Meeting.outcome).order_by(Meeting.id)
        )
        return [(index + 1, outcome) for index, outcome in rows.all()]


async def _pair(chat: Chat) -> Pair:
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None
    return pair


async def test_fortnightly_meetings_logged_just_after_the_session_falls_due_count_for_it(
    chat: Chat,
) -> None:
    await programme_with_pair(chat, curriculum="cross-department-career", key="career")
    await chat.wait(days=6 * HOURS)
    assert (await chat.say("ben", "met")).startswith("Logged session 1 as met")
    for number in range(2, 8):
        await chat.wait(days=14)  # the session falls due, and the planner ticks then
        await chat.wait(days=3 * HOURS)  # the meeting is logged a little later
        reply = await chat.say("ana", "met")
        assert reply.startswith(f"Logged session {number} as met"), reply
    assert await _logged(chat) == [(n, MeetingOutcome.MET) for n in range(1, 8)]
    pair = await _pair(chat)
    assert (pair.status, pair.session_index) == (PairStatus.ACTIVE, 7)
    [row] = await _export(chat, "career")
    assert (row["session"], row["meetings_met"], row["status"]) == ("8 of 12", "7", "active")
    assert (row["sessions_skipped"], row["sessions_not_heard"]) == ("0", "0")


def _field(message: object, label: str) -> str:
    card = getattr(message, "card", None)
    assert card is not None
    for section in card.sections:
        for field in section.fields:
            if field.label == label:
                return str(field.value)
    raise AssertionError(f"no {label!r} field")


async def test_a_session_that_falls_due_unlogged_asks_whether_they_met_and_stays_open(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)  # weekly, six sessions
    await chat.wait(days=7)
    assert chat.kinds("ben", only=("introduction", "agenda", "meet_due")) == [
        "introduction",
        "meet_due",
    ]
    asked = chat.last("ben", "meet_due")
    assert "session 1" in asked.text
    assert [b.label for b in asked.buttons()] == [
        "We met",
        "Not yet",
        "Rescheduled",
        "We skipped it",
        "Report a concern",
    ]
    status = " ".join((await chat.say("ben", "status")).split())
    assert (
        "session 1 of 6: Getting to know each other (was due Mon 9 Mar; did you meet? "
        "It stays open until Thu 12 Mar)"
    ) in status
    assert await _logged(chat) == []
    reply = await chat.press("ana", "We met", kind="meet_due")
    assert reply.startswith("Logged session 1 as met"), reply
    assert chat.kinds("ben")[-1] == "agenda"
    assert "session 2 of 6" in await chat.say("ben", "status")


async def test_a_session_nobody_answers_for_passes_as_not_heard_after_the_grace_period(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)  # weekly: half a week's grace after the due day
    await chat.wait(days=7)
    await chat.wait(days=3)
    assert "agenda" not in chat.kinds("ben")
    assert await _logged(chat) == []
    await chat.wait(days=1)
    assert await _logged(chat) == [(1, MeetingOutcome.NOT_HEARD)]
    assert chat.kinds("ben")[-1] == "agenda"
    agenda = chat.last("ben", "agenda")
    lead = agenda.card.sections[0].text  # type: ignore[union-attr]
    assert "I didn't hear whether you met for session 1; that's fine" in lead
    assert "session 2 of 6" in await chat.say("ben", "status")
    # They had met after all: the late answer counts for session 1, not for session 2.
    reply = await chat.press("ben", "We met for session 1", kind="agenda")
    assert reply.startswith("Logged session 1 as met"), reply
    assert await _logged(chat) == [(1, MeetingOutcome.NOT_HEARD), (1, MeetingOutcome.MET)]
    assert "session 2 of 6" in await chat.say("ben", "status")
    [row] = await _export(chat, "buddies")
    assert (row["session"], row["meetings_met"], row["sessions_not_heard"]) == ("2 of 6", "1", "0")


async def test_a_pair_that_skipped_a_session_says_so_and_moves_on(chat: Chat) -> None:
    await programme_with_pair(chat)
    reply = await chat.say("ben", "met skipped")
    assert reply.startswith("Noted: you skipped session 1."), reply
    assert chat.kinds("ben")[-1] == "agenda"
    assert "checkin" not in chat.kinds("ben")
    assert await _logged(chat) == [(1, MeetingOutcome.SKIPPED)]
    assert "session 2 of 6" in await chat.say("ana", "status")
    [row] = await _export(chat, "buddies")
    assert (row["meetings_met"], row["sessions_skipped"]) == ("0", "1")


async def test_a_met_session_cannot_be_skipped_afterwards(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.wait(days=7)
    await chat.press("ana", "We met", kind="meet_due")
    before = await chat.snapshot()
    reply = await chat.press("ben", "We skipped it", kind="meet_due")  # the same card
    assert reply == "Session 1 is already logged as met, so there's nothing to skip."
    assert await chat.snapshot() == before
    assert await _logged(chat) == [(1, MeetingOutcome.MET)]


async def test_rescheduling_a_due_session_holds_it_open_for_another_grace_period(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)  # weekly: due on day 7, passes on day 10 and a half
    await chat.wait(days=7)
    await chat.wait(days=2)
    reply = await chat.press("ben", "Rescheduled", kind="meet_due")
    assert "Session 1 stays open" in reply
    await chat.wait(days=2)  # past the first grace period, inside the second
    assert await _logged(chat) == [(1, MeetingOutcome.RESCHEDULED)]
    assert (await chat.say("ana", "met")).startswith("Logged session 1 as met")


async def test_nobody_can_press_a_session_into_not_heard(chat: Chat) -> None:
    await programme_with_pair(chat)
    intro = chat.last("ben", "introduction")
    forged = intro.buttons()[0].value.replace(":met", ":not_heard")
    assert forged != intro.buttons()[0].value
    before = await chat.snapshot()
    from conversations.events import ButtonPressed

    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("ben"), action="meeting.log", value=forged)
    )
    assert "out of date" in replies[0].text
    assert await chat.snapshot() == before


async def test_status_export_and_digest_count_met_skipped_and_not_heard_alike(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)  # weekly, six sessions
    await more_people(chat, "buddies")  # enough people for the digest to show figures
    await chat.say("ben", "met")  # session 1 met
    await chat.say("ana", "met skipped")  # session 2 skipped
    await chat.wait(days=7)
    await chat.wait(days=4)  # session 3 fell due and passed unheard
    assert await _logged(chat) == [
        (1, MeetingOutcome.MET),
        (2, MeetingOutcome.SKIPPED),
        (3, MeetingOutcome.NOT_HEARD),
    ]
    said = "1 met, 1 skipped, 1 not heard"
    await chat.say("maya", "status buddies")
    assert _field(chat.replies["maya"][-1], "Sessions") == said
    await chat.say("maya", "digest preview buddies")
    assert _field(chat.replies["maya"][-1], "Sessions so far") == said
    [row] = await _export(chat, "buddies")
    assert (row["meetings_met"], row["sessions_skipped"], row["sessions_not_heard"]) == (
        "1",
        "1",
        "1",
    )
    assert row["session"] == "4 of 6"


async def test_skipping_the_last_session_completes_the_pair_with_every_session_accounted(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    for _ in range(5):
        await chat.say("ben", "met")
    assert await chat.say("ana", "met skipped") == (
        "Noted: you skipped session 6. That was the last session, so your pairing is complete."
    )
    pair = await _pair(chat)
    assert (pair.status, pair.end_reason, pair.session_index) == (PairStatus.ENDED, "completed", 6)
    assert chat.kinds("ben")[-1] == "closing"
