"""User stories: a programme from joining to closing, through the real engine and database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import CheckIn, Pair, PairStatus, Role, RoleGrant
from tests.support.harness import Chat, accept_conduct, programme_with_pair


async def test_the_first_person_in_a_workspace_becomes_its_coordinator(chat: Chat) -> None:
    await chat.say("maya", "help")
    await chat.say("ben", "help")
    async with chat.app.sessions() as session:
        grants = (await session.scalars(select(RoleGrant))).all()
    assert [(g.person_id, g.role) for g in grants] == [(1, Role.COORDINATOR)]
    assert "program create" in chat.replies["maya"][-1].text
    assert "program create" not in chat.replies["ben"][-1].text


async def test_a_newcomer_is_greeted_once_with_what_is_open(chat: Chat) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    first = await chat.hello("ben")
    assert "Programmes open now: buddies" in first
    assert await chat.hello("ben") == ""


async def test_joining_without_a_role_offers_the_profile_form(chat: Chat) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ben", "join buddies")
    form = chat.last("ben", "join_form")
    assert form.card is not None
    assert [i.name for i in form.card.inputs][:2] == ["side", "department"]
    reply = await chat.submit(
        "ben",
        {
            "side": "mentee",
            "department": "Sales",
            "interests": "data, travel",
            "goals": "grow",
            "timezone": "America/Halifax",
        },
        kind="join_form",
    )
    assert "You've joined as a mentee" in reply
    assert "waiting for you to accept the code of conduct" in await chat.say("ben", "status")
    await chat.press("ben", "I agree", kind="conduct")
    assert "waiting to be paired" in await chat.say("ben", "status")


async def test_both_people_are_introduced_with_why_they_were_paired(chat: Chat) -> None:
    await programme_with_pair(chat)
    intro = chat.last("ben", "introduction")
    assert intro == chat.last("ana", "introduction")  # one pair message, seen by both
    text = " ".join(s.text for s in intro.card.sections)  # type: ignore[union-attr]
    assert "Why you were paired:" in text
    assert "Ana brings data and python, which Ben wants to grow" in text
    assert "you share an interest in climbing" in text
    assert "Session 1 of 6: Getting to know each other" in text
    assert [b.label for b in intro.buttons()] == [
        "We met",
        "Not yet",
        "Rescheduled",
        "Report a concern",
    ]


async def test_the_coordinators_note_is_part_of_the_reason(chat: Chat) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await chat.say("ana", "join buddies mentor")
    await chat.say("ben", "join buddies mentee")
    await accept_conduct(chat, "ana", "buddies")
    await accept_conduct(chat, "ben", "buddies")
    await chat.say("maya", 'pair @ana @ben buddies --why "you both started in Halifax"')
    assert (
        "Your coordinator adds: you both started in Halifax."
        in chat.last("ben", "introduction").text
    )


async def test_meeting_logged_by_button_sends_checkins_and_the_next_agenda(chat: Chat) -> None:
    await programme_with_pair(chat)
    reply = await chat.press("ben", "We met", kind="introduction")
    assert reply == "Logged session 1 as met. I've sent you both a short check-in."
    assert chat.kinds("ana") == ["introduction", "checkin", "agenda"]
    assert chat.kinds("ben") == ["introduction", "checkin", "agenda"]
    agenda = chat.last("ana", "agenda")
    assert "Session 2 of 6" in " ".join(s.text for s in agenda.card.sections)  # type: ignore
    again = await chat.press("ana", "We met", kind="introduction")
    assert again == "Session 1 is already logged as met. Thank you, nothing more to do."
    assert chat.kinds("ana") == ["introduction", "checkin", "agenda"]


async def test_not_yet_and_rescheduled_keep_the_session_open(chat: Chat) -> None:
    await programme_with_pair(chat)
    assert "still open" in await chat.press("ben", "Not yet", kind="introduction")
    assert "stays open" in await chat.press("ana", "Rescheduled", kind="introduction")
    assert chat.kinds("ben") == ["introduction"]
    assert "session 1 of 6" in await chat.say("ben", "status")


@pytest.mark.slow
async def test_a_checkin_records_a_rating_and_keeps_the_reflection_private(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("ben", "met")
    secret = "I was nervous about asking for help"
    reply = await chat.submit("ben", {"rating": "5", "reflection": secret}, kind="checkin")
    assert reply.startswith("Thanks for checking in on session 1 (5/5).")
    assert "nobody else will see it" in reply
    assert await chat.say("ana", 'checkin 4 "good start"') == (
        "Thanks for checking in on session 1 (4/5). Your note is saved privately; nobody else "
        "will see it."
    )
    await chat.say("maya", "status buddies")
    everything = [m.model_dump_json() for _, m in chat.transport.received]
    everything += [m.model_dump_json() for ms in chat.replies.values() for m in ms]
    assert not any(secret in text for text in everything)
    async with chat.app.sessions() as session:
        stored = (await session.scalars(select(CheckIn).order_by(CheckIn.id))).all()
    assert [(c.rating, c.reflection) for c in stored] == [(5, secret), (4, "good start")]


async def test_checking_in_twice_is_recorded_once(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("ben", "met")
    await chat.say("ben", "checkin 5")
    assert await chat.say("ben", "checkin 2") == (
        "You've already checked in for session 1. Thank you."
    )
    await chat.submit("ben", {"rating": "1"}, kind="checkin")
    async with chat.app.sessions() as session:
        assert [c.rating for c in (await session.scalars(select(CheckIn))).all()] == [5]


async def test_checkin_before_any_meeting_is_explained(chat: Chat) -> None:
    await programme_with_pair(chat)
    assert "You haven't logged a meeting yet" in await chat.say("ben", "checkin 4")


async def test_when_the_cadence_elapses_the_pair_is_asked_then_moved_on_gently(chat: Chat) -> None:
    await programme_with_pair(chat)  # weekly
    await chat.wait(days=6)
    assert chat.kinds("ben", only=("introduction", "agenda", "meet_due")) == ["introduction"]
    await chat.wait(days=1)
    assert chat.kinds("ben", only=("introduction", "agenda", "meet_due")) == [
        "introduction",
        "meet_due",
    ]
    await chat.wait(days=4)  # half a week's grace, then the session passes unheard
    assert chat.kinds("ben")[-1] == "agenda"
    lead = chat.last("ben", "agenda").card.sections[0].text  # type: ignore[union-attr]
    assert lead.startswith("Ana and Ben, I didn't hear whether you met for session 1; that's fine")


async def test_a_pair_that_misses_two_sessions_waits_instead_of_marching_on(chat: Chat) -> None:
    await programme_with_pair(chat)
    for _ in range(5):
        await chat.wait(days=7)
    assert chat.kinds("ben", only=("introduction", "agenda")) == ["introduction", "agenda"]
    assert "session 2 of 6" in await chat.say("ben", "status")
    await chat.say("ana", "met")  # a logged meeting picks the pair up again
    assert chat.kinds("ben", only=("agenda", "checkin"))[-1] == "agenda"
    assert "session 3 of 6" in await chat.say("ben", "status")


@pytest.mark.slow
async def test_a_pair_that_meets_every_session_completes_with_a_closing(chat: Chat) -> None:
    await programme_with_pair(chat)
    for _ in range(6):
        await chat.wait(days=3)
        await chat.say("ana", "met")
    assert chat.kinds("ben")[-2:] == ["checkin", "closing"]
    assert "Looking back" in chat.last("ben", "closing").text
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None
    assert (pair.status, pair.end_reason, pair.session_index) == (PairStatus.ENDED, "completed", 6)
    assert "Thanks for checking in on session 6" in await chat.say("ben", "checkin 5")
    await chat.wait(days=30)
    assert chat.kinds("ben")[-1] == "closing"  # nothing more after the close


async def test_pausing_tells_the_partner_and_stops_agendas_until_resumed(chat: Chat) -> None:
    await programme_with_pair(chat)
    assert (await chat.say("ben", "pause")).startswith("Paused.")
    assert chat.last("ana", "pause_notice").text.startswith("Ben has paused mentoring")
    await chat.wait(days=21)
    assert "agenda" not in chat.kinds("ben")
    assert "paused" in await chat.say("ana", "status")
    assert "This pairing is paused. Type resume @Ben to pick it up again first." in await chat.say(
        "ana", "met"
    )
    await chat.say("ben", "resume")
    assert chat.kinds("ana")[-1] == "resume_notice"
    await chat.wait(days=7)
    assert chat.kinds("ben")[-1] == "meet_due"  # the session falls due a cadence on


async def test_leaving_is_a_no_fault_exit(chat: Chat) -> None:
    await programme_with_pair(chat)
    reply = await chat.say("ben", "leave buddies")
    assert "No reason is needed" in reply
    notice = chat.last("ana", "partner_left").text
    assert "it says nothing about you" in notice
    assert "Ben has left" in chat.last("maya", "coordinator_left_notice").text
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None and (pair.status, pair.end_reason) == (PairStatus.ENDED, "left")
    assert "You don't have a mentoring partner" in await chat.say("ana", "met")
    assert "You're not in" in await chat.say("ben", "leave buddies")


@pytest.mark.slow
async def test_status_shows_participants_their_place_and_coordinators_the_health(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    await chat.say("ben", "met")
    await chat.say("ben", "checkin 4")
    mine = await chat.say("ben", "status")
    assert "with Ana (mentor): session 2 of 6: Finding your way around" in mine
    health = await chat.say("maya", "status buddies")
    assert "enrolled 1 mentor, 1 mentee" in health
    assert "pairs 1 active (0 stalled), 0 paused, 0 ended, 0 proposed" in health
    assert "sessions 1 met, 0 skipped, 0 not heard" in health
    assert "average rating 4.0 / 5" in health


async def test_agenda_shows_the_current_session(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("ben", "agenda")
    agenda = chat.last("ben", "agenda")
    assert "Session 1 of 6" in " ".join(s.text for s in agenda.card.sections)  # type: ignore


async def test_help_lists_what_this_person_can_do(chat: Chat) -> None:
    await chat.say("maya", "help")
    await chat.say("ben", "help")
    assert "Running programmes" in chat.replies["maya"][-1].text
    assert "Running programmes" not in chat.replies["ben"][-1].text
    detail = await chat.say("ben", "help checkin")
    assert detail.startswith("checkin: rate your last session")
    assert 'Usage: checkin <1-5> [@partner] ["a private note"] [program]' in detail


async def test_a_programme_lifecycle_runs_from_draft_to_closed(chat: Chat) -> None:
    created = await chat.say(
        "maya",
        "program create career --curriculum cross-department-career "
        '--name "Career 2026" --cadence "every 3 weeks"',
    )
    assert "12 sessions, every 3 weeks" in created
    assert "isn't open for enrolment yet" in await chat.say("ben", "join career mentee")
    await chat.say("maya", "program open career")
    await chat.say("maya", "program launch career")
    assert "career: Career 2026 (active)" in await chat.say("ben", "programs")
    await chat.say("ana", "join career mentor")
    await chat.say("ben", "join career mentee")
    await accept_conduct(chat, "ana", "career")
    await accept_conduct(chat, "ben", "career")
    await chat.say("maya", "pair @ana @ben career")
    assert "is closed" in await chat.say("maya", "program close career")
    assert "has closed" in await chat.say("eve", "join career mentee")
    await chat.wait(days=60)
    assert chat.kinds("ben") == ["introduction"]


async def test_coordinators_grant_and_revoke_roles(chat: Chat) -> None:
    await chat.say("maya", "help")
    await chat.hello("ana")
    assert await chat.say("maya", "admin grant @ana coordinator") == "Ana is now a coordinator."
    assert "Created" in await chat.say("ana", "program create x1 --curriculum new-hire-buddy")
    assert await chat.say("ana", "admin revoke @maya coordinator") == (
        "Maya is no longer a coordinator."
    )
    assert "would leave nobody" in await chat.say("ana", "admin revoke @ana coordinator")
    assert "Only coordinators" in await chat.say("maya", "program open x1")


async def test_the_home_screen_shows_the_pair_the_agenda_buttons_and_for_coordinators_health(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    ben = await chat.app.engine.home(chat.actor("ben"))
    kinds = [m.kind for m in ben]
    assert kinds == ["status", "agenda", "concern_offer", "help"]
    assert [b.label for b in ben[1].buttons()] == [
        "We met",
        "Not yet",
        "Rescheduled",
        "Report a concern",
    ]
    maya = await chat.app.engine.home(chat.actor("maya"))
    assert [m.kind for m in maya] == ["programme_status", "help"]
    before = await chat.snapshot()
    await chat.app.engine.home(chat.actor("zed"))  # someone new: shown, nothing stored
    assert await chat.snapshot() == before
