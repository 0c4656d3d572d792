"""Finished is not waiting: after a pairing completes, or its programme closes, nobody is
told (or counted as) waiting for a partner, in their own status or the coordinator's."""

from __future__ import annotations

import pytest

from tests.support.harness import Chat, accept_conduct, programme_with_pair


async def _complete(chat: Chat) -> None:
    """Ana and Ben meet for every session of the six-session new-hire curriculum."""
    for _ in range(6):
        await chat.wait(days=3)
        await chat.say("ana", "met")
    assert chat.kinds("ben")[-1] == "closing"


@pytest.mark.slow
async def test_a_mentee_whose_pairing_completed_is_finished_not_waiting(chat: Chat) -> None:
    await programme_with_pair(chat)
    await _complete(chat)
    mine = await chat.say("ben", "status")
    assert "waiting" not in mine, mine
    assert "New-hire buddy (mentee): finished: you and Ana completed the programme" in mine
    theirs = await chat.say("ana", "status")
    assert "New-hire buddy (mentor): finished: you and Ben completed the programme" in theirs
    health = await chat.say("maya", "program status buddies")
    assert "matched 0 mentees matched, 0 waiting, 1 finished" in health, health


@pytest.mark.slow
async def test_a_finished_mentee_is_not_offered_a_new_mentor(chat: Chat) -> None:
    await programme_with_pair(chat)
    await _complete(chat)
    await chat.say("cleo", "join buddies mentor")
    await accept_conduct(chat, "cleo", "buddies")
    proposed = await chat.say("maya", "match buddies")
    assert "Cleo → Ben" not in proposed and "Ben" not in proposed, proposed


async def test_after_the_programme_closes_its_people_are_told_it_closed(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("cleo", "join buddies mentee")
    await accept_conduct(chat, "cleo", "buddies")
    assert "waiting to be paired" in await chat.say("cleo", "status")
    assert "is closed" in await chat.say("maya", "program close buddies")
    said = {handle: await chat.say(handle, "status") for handle in ("ben", "ana", "cleo")}
    assert "waiting" not in " ".join(said.values()), said
    assert said == {
        "ben": "• New-hire buddy (mentee): the programme has closed, ending your pairing with Ana",
        "ana": "• New-hire buddy (mentor): the programme has closed, ending your pairing with Ben",
        "cleo": "• New-hire buddy (mentee): the programme has closed",
    }
    health = await chat.say("maya", "program status buddies")
    assert "status closed on Mon 2 Mar" in health, health
    assert "waiting" not in health, health
    assert "matched 1 of 2 mentees were paired, 0 finished" in health, health


async def test_someone_whose_partner_left_is_told_the_pairing_ended_and_waits_again(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    await chat.say("ana", "leave buddies")
    mine = await chat.say("ben", "status")
    assert "your pairing with Ana ended; waiting to be paired again" in mine, mine
    health = await chat.say("maya", "program status buddies")
    assert "matched 0 mentees matched, 1 waiting" in health, health
