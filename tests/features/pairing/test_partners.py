"""Several partners: a mentor with two mentees in one programme, and a person paired in two
programmes. Every pair-scoped verb takes the partner (``met yes @ben``); without one, when
several pairs fit, the bot asks with a button per pair; every message names the partner.

Regressions: with two mentees in one programme, ``met``, ``agenda`` and ``checkin`` refused
with "You're paired in more than one programme (buddies)… e.g. met career", naming the
programme did not help, and ``pause buddies`` paused both pairs with no way to pause one.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from conversations import codec
from conversations.events import ButtonPressed
from storage.models import (
    CheckIn,
    Enrolment,
    EnrolmentStatus,
    Meeting,
    Pair,
    PairStatus,
    Person,
    Programme,
)
from tests.support.harness import Chat, accept_conduct, programme_with_pair


async def _two_mentees(chat: Chat) -> None:
    """Ana mentors Ben and Cleo, both in buddies."""
    await programme_with_pair(chat)
    await chat.say("ana", "join buddies mentor --capacity 2")
    await chat.say("cleo", "join buddies mentee --department Finance")
    await accept_conduct(chat, "cleo", "buddies")
    reply = await chat.say("maya", "pair @ana @cleo buddies")
    assert reply.startswith("Paired Ana (mentor) with Cleo (mentee)"), reply


async def _two_programmes(chat: Chat) -> None:
    """Ben is Ana's mentee in buddies and Dev's mentee in career."""
    await programme_with_pair(chat)
    await chat.say(
        "maya", "program create career --curriculum cross-department-career --name Career"
    )
    await chat.say("maya", "program open career")
    await chat.say("dev", "join career mentor --department Legal")
    await chat.say("ben", "join career mentee --department Sales")
    for handle in ("dev", "ben"):
        await accept_conduct(chat, handle, "career")
    reply = await chat.say("maya", "pair @dev @ben career")
    assert reply.startswith("Paired Dev (mentor) with Ben (mentee)"), reply


async def _pair(chat: Chat, mentor: str, mentee: str, key: str = "buddies") -> Pair:
    async with chat.app.sessions() as session:
        found = await session.scalar(
            select(Pair)
            .join(Programme, Programme.id == Pair.programme_id)
            .where(
                Programme.key == key,
                Pair.mentor_id
                == select(Person.id).where(Person.platform_user_id == mentor).scalar_subquery(),
                Pair.mentee_id
                == select(Person.id).where(Person.platform_user_id == mentee).scalar_subquery(),
            )
            .order_by(Pair.id.desc())
        )
    assert found is not None
    return found


async def _met_sessions(chat: Chat, mentor: str, mentee: str, key: str = "buddies") -> list[int]:
    pair = await _pair(chat, mentor, mentee, key)
    async with chat.app.sessions() as session:
        rows = await session.scalars(
            select(Meeting.session_index).where(
                Meeting.pair_id == pair.id, Meeting.outcome == "met"
            )
        )
        return sorted(rows.all())


async def _enrolment_status(chat: Chat, handle: str, key: str = "buddies") -> str:
    async with chat.app.sessions() as session:
        status = await session.scalar(
            select(Enrolment.status)
            .join(Programme, Programme.id == Enrolment.programme_id)
            .join(Person, Person.id == Enrolment.person_id)
            .where(Programme.key == key, Person.platform_user_id == handle)
        )
    assert status is not None
    return str(status)


# -- the observed failures ------------------------------------------------------------------


async def test_a_mentor_with_two_mentees_is_asked_which_one_not_told_to_name_a_programme(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    for command in ("met", "agenda", 'checkin 4 "good talk"'):
        reply = await chat.say("ana", command)
        assert "more than one programme" not in reply, command
        assert "career" not in reply, command
        asked = chat.last("ana", "which")
        assert [b.label for b in asked.buttons()] == ["Ben", "Cleo"], command
        assert all(b.action == codec.COMMAND for b in asked.buttons())


async def test_naming_the_programme_does_not_choose_between_two_mentees_in_it(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "met buddies")
    assert [b.label for b in chat.last("ana", "which").buttons()] == ["Ben", "Cleo"]
    assert await _met_sessions(chat, "ana", "ben") == []
    assert await _met_sessions(chat, "ana", "cleo") == []


async def test_pause_with_a_partner_pauses_only_that_pair_and_the_other_keeps_its_agenda(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    reply = await chat.say("ana", "pause @ben")
    assert "Ben" in reply and "Cleo" not in reply
    assert (await _pair(chat, "ana", "ben")).status == PairStatus.PAUSED
    assert (await _pair(chat, "ana", "cleo")).status == PairStatus.ACTIVE
    assert await _enrolment_status(chat, "ana") == EnrolmentStatus.ACTIVE
    assert "Ana has paused" in chat.last("ben", "pause_notice").text
    assert "pause_notice" not in chat.kinds("cleo")
    sessions = ("agenda", "meet_due")  # a session's agenda, or "did you meet?" when it falls due
    before = len(chat.kinds("ana", only=sessions))
    bens = len(chat.kinds("ben", only=sessions))
    await chat.wait(days=7)
    agendas = [m for m in chat.inbox("ana") if m.kind in sessions][before:]
    assert agendas and all("Cleo" in m.text and "Ben" not in m.text for m in agendas)
    assert len(chat.kinds("ben", only=sessions)) == bens
    reply = await chat.say("ana", "resume @ben")
    assert "Ben" in reply
    assert (await _pair(chat, "ana", "ben")).status == PairStatus.ACTIVE
    assert chat.last("ben", "resume_notice").text.startswith("Ana has picked up again")


# -- choosing the pair ----------------------------------------------------------------------


async def test_met_yes_with_a_partner_logs_for_that_pair_only(chat: Chat) -> None:
    await _two_mentees(chat)
    reply = await chat.say("ana", "met yes @ben")
    assert reply.startswith("Logged session 1 as met"), reply
    assert await _met_sessions(chat, "ana", "ben") == [0]
    assert await _met_sessions(chat, "ana", "cleo") == []


async def test_pressing_a_partner_on_the_question_logs_for_the_chosen_pair(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "met")
    reply = await chat.press("ana", "Cleo", kind="which")
    assert reply.startswith("Logged session 1 as met"), reply
    assert await _met_sessions(chat, "ana", "cleo") == [0]
    assert await _met_sessions(chat, "ana", "ben") == []


async def test_the_question_keeps_what_was_typed_and_adds_the_partner(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "met yes @ben")
    await chat.say("ana", "met yes @cleo")
    await chat.say("ana", 'checkin 4 "a good talk, really"')
    reply = await chat.press("ana", "Ben", kind="which")
    assert reply.startswith("Thanks for checking in on session 1 (4/5)"), reply
    async with chat.app.sessions() as session:
        checkins = (await session.scalars(select(CheckIn))).all()
    ben = await _pair(chat, "ana", "ben")
    assert [(c.pair_id, c.rating, c.reflection) for c in checkins] == [
        (ben.id, 4, "a good talk, really")
    ]


async def test_checkin_with_a_partner_and_a_note(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "met yes @cleo")
    reply = await chat.say("ana", 'checkin 5 @cleo "she is quick"')
    assert reply.startswith("Thanks for checking in on session 1 (5/5)"), reply
    async with chat.app.sessions() as session:
        checkin = await session.scalar(select(CheckIn))
    assert checkin is not None and checkin.pair_id == (await _pair(chat, "ana", "cleo")).id


async def test_a_long_note_asks_in_a_sentence_when_a_button_could_not_carry_it(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    note = "word " * 399
    reply = await chat.say("ana", f'checkin 4 "{note.strip()}"')
    assert "@Ben" in reply and "@Cleo" in reply, reply
    asked = chat.replies["ana"][-1]
    assert asked.buttons() == ()
    assert all(len(b.value) <= 2000 for m in chat.replies["ana"] for b in m.buttons())


async def test_agenda_with_a_partner_shows_that_pairs_session(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "met yes @ben")
    await chat.say("ana", "agenda @ben")
    shown = chat.replies["ana"][-1]
    assert shown.kind == "agenda"
    assert "Ben" in shown.text and "session 2 of 6" in shown.text
    await chat.say("ana", "agenda @cleo")
    shown = chat.replies["ana"][-1]
    assert "Cleo" in shown.text and "session 1 of 6" in shown.text


async def test_a_partner_who_is_not_yours_is_refused_with_your_own_partners_as_example(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    await chat.hello("dev")
    before = await chat.snapshot()
    reply = await chat.say("ana", "met yes @dev")
    assert "You're not paired with Dev" in reply, reply
    assert "e.g. met yes @Ben" in reply
    assert "career" not in reply
    assert await chat.snapshot() == before


async def test_someone_paired_in_two_programmes_chooses_by_partner_and_programme(
    chat: Chat,
) -> None:
    await _two_programmes(chat)
    await chat.say("ben", "met")
    asked = chat.last("ben", "which")
    assert [b.label for b in asked.buttons()] == ["Ana (New-hire buddy)", "Dev (Career)"]
    reply = await chat.press("ben", "Dev (Career)", kind="which")
    assert reply.startswith("Logged session 1 as met"), reply
    assert await _met_sessions(chat, "dev", "ben", "career") == [0]
    assert await _met_sessions(chat, "ana", "ben") == []
    assert (await chat.say("ben", "met yes @ana")).startswith("Logged session 1 as met")
    assert await _met_sessions(chat, "ana", "ben") == [0]


async def test_naming_the_programme_still_chooses_when_it_holds_one_pair(chat: Chat) -> None:
    await _two_programmes(chat)
    assert (await chat.say("ben", "met career")).startswith("Logged session 1 as met")
    assert await _met_sessions(chat, "dev", "ben", "career") == [0]


async def test_the_same_two_people_in_two_programmes_are_told_apart_by_programme(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    await chat.say(
        "maya", "program create career --curriculum cross-department-career --name Career"
    )
    await chat.say("maya", "program open career")
    await chat.say("ana", "join career mentor --department Engineering")
    await chat.say("ben", "join career mentee --department Sales")
    for handle in ("ana", "ben"):
        await accept_conduct(chat, handle, "career")
    await chat.say("maya", "pair @ana @ben career")
    await chat.say("ben", "met @ana")
    asked = chat.last("ben", "which")
    assert [b.label for b in asked.buttons()] == ["Ana (New-hire buddy)", "Ana (Career)"]
    assert (await chat.press("ben", "Ana (Career)", kind="which")).startswith("Logged")
    assert await _met_sessions(chat, "ana", "ben", "career") == [0]
    assert await _met_sessions(chat, "ana", "ben") == []


# -- pause, resume, leave, report -----------------------------------------------------------


async def test_pausing_without_a_partner_is_a_break_that_names_each_partner(chat: Chat) -> None:
    await _two_mentees(chat)
    reply = await chat.say("ana", "pause")
    assert "Ben" in reply and "Cleo" in reply, reply
    assert (await _pair(chat, "ana", "ben")).status == PairStatus.PAUSED
    assert (await _pair(chat, "ana", "cleo")).status == PairStatus.PAUSED
    assert await _enrolment_status(chat, "ana") == EnrolmentStatus.PAUSED
    reply = await chat.say("ana", "resume")
    assert "Ben" in reply and "Cleo" in reply, reply
    assert await _enrolment_status(chat, "ana") == EnrolmentStatus.ACTIVE


async def test_pausing_a_pair_already_paused_says_so_and_changes_nothing(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "pause @ben")
    before = await chat.snapshot()
    reply = await chat.say("ana", "pause @ben")
    assert "already paused" in reply, reply
    assert await chat.snapshot() == before


async def test_leave_with_a_partner_ends_only_that_pairing(chat: Chat) -> None:
    await _two_mentees(chat)
    reply = await chat.say("ana", "leave @ben")
    assert "Ben" in reply and "Cleo" in reply, reply
    ben, cleo = await _pair(chat, "ana", "ben"), await _pair(chat, "ana", "cleo")
    assert (ben.status, ben.end_reason) == (PairStatus.ENDED, "left")
    assert cleo.status == PairStatus.ACTIVE
    assert await _enrolment_status(chat, "ana") == EnrolmentStatus.ACTIVE
    assert "it says nothing about you" in chat.last("ben", "partner_left").text
    assert "partner_left" not in chat.kinds("cleo")
    told = chat.last("maya", "coordinator_left_notice").text
    assert "Ana" in told and "Ben" in told and "Cleo" not in told
    # The last pairing in the programme: leaving it is leaving the programme.
    reply = await chat.say("ana", "leave @cleo")
    assert (await _pair(chat, "ana", "cleo")).status == PairStatus.ENDED
    assert await _enrolment_status(chat, "ana") == EnrolmentStatus.LEFT
    assert "you've left New-hire buddy" in reply, reply


async def test_leave_with_a_partner_and_block_blocks_only_that_partner(chat: Chat) -> None:
    await _two_mentees(chat)
    reply = await chat.say("ana", "leave @ben --block")
    assert "You won't be paired with Ben again" in reply, reply
    assert (await _pair(chat, "ana", "ben")).status == PairStatus.ENDED
    assert (await _pair(chat, "ana", "cleo")).status == PairStatus.ACTIVE


async def test_leave_without_a_programme_or_partner_says_how_with_your_own_names(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    before = await chat.snapshot()
    reply = await chat.say("ana", "leave")
    assert "leave buddies" in reply and "leave @Ben" in reply, reply
    assert await chat.snapshot() == before


async def test_report_with_a_partner_opens_the_form_about_that_pairing(chat: Chat) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "report @cleo")
    form = chat.last("ana", "concern_form")
    assert form.card is not None and form.card.submit is not None
    cleo = await _pair(chat, "ana", "cleo")
    assert form.card.submit.value == codec.ConcernAbout("pair", cleo.id).encode()
    await chat.say("ana", "report")
    asked = chat.last("ana", "which")
    assert [b.label for b in asked.buttons()][:2] == ["Ben", "Cleo"]


# -- the command button ---------------------------------------------------------------------


async def test_a_forged_command_button_runs_with_the_pressers_permissions_only(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    before = await chat.snapshot()
    for value in ("program close buddies", f"met yes {codec.mention('cleo', 'Cleo')}"):
        replies = await chat.app.engine.handle(
            ButtonPressed(actor=chat.actor("ben"), action=codec.COMMAND, value=value)
        )
        assert all(r.kind.refusal for r in replies), [r.text for r in replies]
    assert "Only coordinators" in replies[0].text or "not paired" in replies[0].text
    assert await chat.snapshot() == before


async def test_the_home_screen_shows_each_pairs_agenda_to_a_mentor_with_two_mentees(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    shown = await chat.app.engine.home(chat.actor("ana"))
    agendas = [m for m in shown if m.kind == "agenda"]
    assert [("Ben" in m.text, "Cleo" in m.text) for m in agendas] == [
        (True, False),
        (False, True),
    ]


# -- every message names the partner --------------------------------------------------------


_ABOUT_NOBODY = {"welcome", "joined", "conduct", "conduct_accepted", "help"}


async def test_every_message_a_mentor_with_two_mentees_receives_names_which_mentee(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    start = len(chat.inbox("ana"))
    # Ana and Ben meet every week and check in; Cleo's pair goes quiet.
    for _ in range(7):
        await chat.say("ana", "met yes @ben")
        await chat.say("ben", "checkin 4")
        await chat.wait(days=7)
    await chat.hours(72)
    await chat.say("ana", "resume @cleo")
    await chat.wait(days=7)
    received = chat.inbox("ana")[start:]
    kinds = {m.kind for m in received}
    assert {"agenda", "checkin", "closing", "pulse"} <= kinds, kinds
    assert kinds & {"meet_nudge", "inactivity_notice", "auto_paused", "checkin_reminder"}, kinds
    for message in received:
        if message.kind in _ABOUT_NOBODY:
            continue
        # A card grouping several notices (issue 15 item 8) names one mentee per line.
        lines = [line for line in message.text.splitlines() if line.startswith("• ")]
        for said in lines or [message.text]:
            named = {name for name in ("Ben", "Cleo") if re.search(rf"\b{name}\b", said)}
            assert len(named) == 1, (message.kind, said)


async def test_resuming_one_pairing_the_programme_team_holds_is_refused_kindly(
    chat: Chat,
) -> None:
    await _two_mentees(chat)
    await chat.say("ana", "met yes @ben")
    await chat.wait(days=22)  # Cleo's pair has not met: the coordinator is told it stalled
    stalled = next(m for m in chat.inbox("maya") if m.kind == "stall" and "Cleo" in m.text)
    assert stalled.card is not None
    # One line per stalled pair (a card may group several): the line about Cleo's pair.
    line = [s for s in stalled.card.sections if "Cleo" in s.text and s.buttons]
    buttons = line[0].buttons if line else stalled.buttons()
    button = next(b for b in buttons if b.label == "Pause the pair")

    await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("maya"), action=button.action, value=button.value)
    )
    await chat.dispatcher.drain()
    cleo = await _pair(chat, "ana", "cleo")
    assert (cleo.status, cleo.paused_by) == (PairStatus.PAUSED, "programme team")
    told = chat.last("cleo", "paused_by_team").text
    assert told.startswith("Your pairing with Ana in New-hire buddy has been paused"), told
    before = await chat.snapshot()
    reply = await chat.say("ana", "resume @cleo")
    assert reply == (
        "Your pairing with Cleo in New-hire buddy stays paused by the programme team; they'll "
        "tell you when it can carry on."
    )
    assert await chat.snapshot() == before
    assert "stays paused by the programme team" in await chat.say("ana", "resume")
    assert (await _pair(chat, "ana", "cleo")).status == PairStatus.PAUSED
