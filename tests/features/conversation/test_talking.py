"""Talking, not only commanding: what someone writes to the bot that is not a command.

A reply to a question the bot or a coordinator asked is recorded or passed on; a greeting
gets a pointer to help; anything else gets a kind "I didn't understand that". Prose is
never answered as if it were a command typed wrongly.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from conversations.events import CommandSent
from storage.models import (
    CheckIn,
    HeldReply,
    Meeting,
    MeetingOutcome,
    OutboxMessage,
    Person,
    Prompt,
)
from tests.support.harness import Chat, programme_with_pair
from tests.support.talking import (
    GRAMMAR_ERRORS,
    ana_mentors_ben_and_cleo,
    nudge_every_stalled_pair,
    stalled_and_nudged,
    until,
)


async def _rows(chat: Chat, model: Any) -> list[Any]:
    async with chat.app.sessions() as session:
        return list((await session.scalars(select(model).order_by(model.id))).unique())


async def _passed_on(chat: Chat) -> list[OutboxMessage]:
    return [row for row in await _rows(chat, OutboxMessage) if row.kind == "pair_reply"]


# --- replies to a coordinator's nudge -----------------------------------------------------


async def test_a_prose_reply_to_a_stall_nudge_reaches_the_coordinator_who_nudged(
    chat: Chat,
) -> None:
    await stalled_and_nudged(chat, coordinators=("maya", "eve"))
    said = "Sorry, it's been a hectic month. We'll meet on Thursday!"
    assert await chat.say("ben", said) == "Thanks, I've passed that to Maya."
    await until(chat, "maya", "pair_reply")
    passed = chat.last("maya", "pair_reply")
    assert passed.text.startswith("Ben replied to your nudge to Ana and Ben in New-hire buddy")
    assert said in passed.text
    assert "pair_reply" not in chat.kinds("eve")  # Eve did not ask

    other = "We've both been travelling, back next week."
    assert await chat.say("ana", other) == "Thanks, I've passed that to Maya."
    await until(chat, "maya", "pair_reply", hours=1)
    await chat.hours(24)
    texts = [m.text for m in chat.inbox("maya") if m.kind == "pair_reply"]
    assert (
        len(texts) == 2 and texts[1].startswith("Ana replied to your nudge") and other in texts[1]
    )
    for text in texts:
        assert "_" not in text and "None" not in text and "True" not in text


async def test_a_reply_whose_nudging_coordinator_has_gone_reaches_every_coordinator(
    chat: Chat,
) -> None:
    await stalled_and_nudged(chat, coordinators=("maya", "eve"))
    revoked = await chat.say("eve", "admin revoke @maya coordinator")
    assert "Maya" in revoked, revoked
    assert await chat.say("ben", "Can we get a new slot?") == (
        "Thanks, I've passed that to the programme team."
    )
    await chat.hours(24)
    passed = chat.last("eve", "pair_reply")
    assert passed.text.startswith("Ben replied to the programme team's nudge to Ana and Ben")
    assert "Can we get a new slot?" in passed.text
    assert [r.person_id for r in await _passed_on(chat)] == [await _id_of(chat, "eve")]


async def _id_of(chat: Chat, handle: str) -> int:
    async with chat.app.sessions() as session:
        found = await session.scalar(select(Person.id).where(Person.platform_user_id == handle))
    assert found is not None
    return found


async def test_a_person_with_two_pairs_replying_to_a_nudge_is_asked_which_pair(
    chat: Chat,
) -> None:
    await ana_mentors_ben_and_cleo(chat)
    await chat.wait(days=22)
    await until(chat, "maya", "stall")
    await chat.hours(2)
    assert await nudge_every_stalled_pair(chat) == 2
    await until(chat, "ana", "coordinator_nudge")
    said = "Cleo's been away, we'll catch up soon"
    asked = await chat.say("ana", said)
    assert "Which pairing" in asked, asked
    which = chat.last("ana", "which_pair")
    assert [b.label for b in which.buttons()] == ["Ben", "Cleo"]
    assert await _passed_on(chat) == []  # nothing is guessed

    assert await chat.press("ana", "Cleo", kind="which_pair") == (
        "Thanks, I've passed that to Maya."
    )
    await chat.hours(24)
    [passed] = [m for m in chat.inbox("maya") if m.kind == "pair_reply"]
    assert passed.text.startswith("Ana replied to your nudge to Ana and Cleo")
    assert said in passed.text
    again = await chat.press("ana", "Ben", kind="which_pair")
    assert "out of date" in again
    assert len(await _passed_on(chat)) == 1


async def test_in_a_channel_a_non_command_is_still_refused_as_a_command(chat: Chat) -> None:
    await stalled_and_nudged(chat)
    [reply] = await chat.app.engine.handle(
        CommandSent(actor=chat.actor("ben"), text="frobnicate the widget", direct=False)
    )
    assert "I don't know the command 'frobnicate'" in reply.text
    [hello] = await chat.app.engine.handle(
        CommandSent(actor=chat.actor("ben"), text="hi", direct=False)
    )
    assert hello.kind == "greeting" and "help" in hello.text
    assert await _passed_on(chat) == []


# --- "did you meet?" ----------------------------------------------------------------------


async def test_yes_we_met_answers_the_did_you_meet_question(chat: Chat) -> None:
    await programme_with_pair(chat)
    await until(chat, "ben", "meet_nudge", hours=24 * 6)
    reply = await chat.say("ben", "yes we met!")
    assert reply.startswith("Logged session 1 as met"), reply
    meetings = await _rows(chat, Meeting)
    assert [(m.session_index, m.outcome) for m in meetings] == [(0, MeetingOutcome.MET)]
    assert "checkin" in chat.kinds("ana")


async def test_not_yet_in_words_keeps_the_session_open_like_the_button(chat: Chat) -> None:
    await programme_with_pair(chat)
    await until(chat, "ben", "meet_nudge", hours=24 * 6)
    reply = await chat.say("ben", "Not yet, sorry!")
    assert reply.startswith("No problem. Session 1 is still open"), reply
    meetings = await _rows(chat, Meeting)
    assert [(m.session_index, m.outcome) for m in meetings] == [(0, MeetingOutcome.NOT_YET)]
    assert (await chat.say("ana", "we did!")).startswith("Logged session 1 as met")


async def test_an_unclear_answer_to_did_you_meet_asks_again_with_the_buttons(chat: Chat) -> None:
    await programme_with_pair(chat)
    await until(chat, "ben", "meet_nudge", hours=24 * 6)
    before = await chat.snapshot()
    reply = await chat.say("ben", "We've swapped a few emails about it")
    assert reply.startswith("I couldn't tell whether you and Ana have met for session 1"), reply
    asked = chat.last("ben", "meeting_unclear")
    assert [b.label for b in asked.buttons()][:3] == ["We met", "Not yet", "Rescheduled"]
    assert await chat.snapshot() == before


# --- check-ins ----------------------------------------------------------------------------


async def test_prose_after_a_checkin_becomes_its_private_note_once_rated(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("ana", "met")
    said = "Really helpful, I feel less lost now."
    reply = await chat.say("ben", said)
    assert "from 1 to 5" in reply, reply
    assert await _rows(chat, CheckIn) == []
    rating = chat.last("ben", "checkin_rating")
    assert [b.label for b in rating.buttons()] == ["1", "2", "3", "4", "5"]
    done = await chat.press("ben", "4", kind="checkin_rating")
    assert done.startswith("Thanks for checking in on session 1 (4/5). Your note is saved"), done
    [checkin] = await _rows(chat, CheckIn)
    assert (checkin.rating, checkin.reflection, checkin.shareable_quote) == (4, said, None)
    assert "out of date" in await chat.press("ben", "5", kind="checkin_rating")
    prompts = [p for p in await _rows(chat, Prompt) if p.kind == "checkin"]
    assert [p.answered_at is not None for p in prompts].count(True) == 1


async def test_a_checkin_written_with_its_rating_is_recorded_at_once(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("ana", "met")
    reply = await chat.say("ben", "4/5, we talked about my first project")
    assert reply.startswith("Thanks for checking in on session 1 (4/5)"), reply
    [checkin] = await _rows(chat, CheckIn)
    assert (checkin.rating, checkin.reflection) == (4, "we talked about my first project")


# --- greetings, apostrophes, and everything else -------------------------------------------


async def test_hi_gets_a_pointer_to_help(chat: Chat) -> None:
    await programme_with_pair(chat)
    before = await chat.snapshot()
    for text in ("hi", "Hello!", "hey there 👋", "thanks", "Thank you!", "Good morning"):
        reply = await chat.say("ben", text)
        assert "help" in reply and "status" in reply, (text, reply)
        assert "I don't know the command" not in reply
        assert chat.replies["ben"][-1].kind == "greeting"
    assert await chat.snapshot() == before


async def test_an_apostrophe_in_prose_is_not_a_grammar_error(chat: Chat) -> None:
    await programme_with_pair(chat)
    before = await chat.snapshot()
    for text in (
        "I don't know what to do",
        "what's next?",
        "Ben's not answering",
        "it’s fine",
        'she said "call me',
        "‘quoted",
    ):
        reply = await chat.say("ben", text)
        assert not any(error in reply for error in GRAMMAR_ERRORS), (text, reply)
        assert reply.startswith("I didn't understand that."), (text, reply)
        assert not chat.replies["ben"][-1].kind.refusal
    assert await chat.snapshot() == before


async def test_a_command_with_broken_quotes_is_refused_with_its_usage_in_plain_words(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    before = await chat.snapshot()
    reply = await chat.say("ben", 'checkin 4 "a good talk')
    assert reply.startswith("That's not quite how checkin works"), reply
    assert "Usage: checkin <1-5>" in reply
    assert "missing its partner" not in reply
    assert await chat.snapshot() == before


async def test_an_unknown_word_gets_a_kind_answer_with_the_closest_commands(chat: Chat) -> None:
    await programme_with_pair(chat)
    reply = await chat.say("ben", "statsu")
    assert reply.startswith("I didn't understand that. Did you mean status?"), reply
    assert not chat.replies["ben"][-1].kind.refusal
    plain = await chat.say("ben", "frobnicate")
    assert plain.startswith("I didn't understand that."), plain
    assert "help" in plain


# --- words held for one more answer ---------------------------------------------------------


async def _my_data(chat: Chat, handle: str) -> dict[str, Any]:
    [reply] = await chat.app.engine.handle(
        CommandSent(actor=chat.actor(handle), text="my-data", direct=True)
    )
    [file] = reply.attachments
    data: dict[str, Any] = json.loads(file.data.decode("utf-8"))
    return data


async def test_words_waiting_for_a_rating_are_in_my_data_and_gone_after_a_week(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    await chat.say("ana", "met")
    said = "It helped me to hear how Ana started out"
    assert "from 1 to 5" in await chat.say("ben", said)
    data = await _my_data(chat, "ben")
    assert [w["you_wrote"] for w in data["words_waiting_for_you"]] == [said]
    assert [w["you_wrote"] for w in (await _my_data(chat, "ana"))["words_waiting_for_you"]] == []
    await chat.wait(days=8)  # the retention job runs on a tick
    assert await _rows(chat, HeldReply) == []
    assert "out of date" in await chat.press("ben", "4", kind="checkin_rating")


async def test_forgetting_someone_deletes_their_words_waiting_for_an_answer(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("ana", "met")
    await chat.say("ben", "Honestly a bit awkward at first")
    assert len(await _rows(chat, HeldReply)) == 1
    await chat.say("ben", "forget-me")
    done = await chat.press("ben", "Yes, delete my data", kind="forget_confirm")
    assert "deleted" in done.lower(), done
    assert await _rows(chat, HeldReply) == []
