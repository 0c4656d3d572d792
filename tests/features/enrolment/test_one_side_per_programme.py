"""A person takes one side of a programme: a mentor there is not also a mentee there.

Joining, a coordinator's ``enroll`` and the join form all refuse the other side, saying
how to change sides, and change nothing; the database refuses it too.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from conversations.events import ButtonPressed
from storage.models import Enrolment, EnrolmentStatus, Person
from tests.support.harness import Chat, accept_conduct, programme_with_pair


async def _open(chat: Chat) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")


async def _sides(chat: Chat, handle: str) -> list[tuple[str, str]]:
    async with chat.app.sessions() as session:
        rows = await session.execute(
            select(Enrolment.side, Enrolment.status)
            .join(Person, Person.id == Enrolment.person_id)
            .where(Person.platform_user_id == handle)
            .order_by(Enrolment.id)
        )
        return [(str(side), str(status)) for side, status in rows.all()]


async def test_a_mentor_who_joins_again_as_a_mentee_is_refused_and_told_how_to_switch(
    chat: Chat,
) -> None:
    await _open(chat)
    await chat.say("ana", "join buddies mentor")
    before = await chat.snapshot()
    reply = await chat.say("ana", "join buddies mentee")
    assert reply.startswith("You're already in New-hire buddy as a mentor"), reply
    assert "one side" in reply
    assert "leave buddies, then join buddies mentee" in reply
    assert await chat.snapshot() == before
    assert await _sides(chat, "ana") == [("mentor", "active")]


async def test_the_join_form_and_its_announcement_button_refuse_the_other_side(
    chat: Chat,
) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies <#C1|general>")
    await chat.say("ana", "join buddies mentor")
    before = await chat.snapshot()
    [announcement] = chat.inbox("#C1")
    join = next(b for b in announcement.buttons() if b.label == "Join as a mentee")
    [refusal] = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("ana"), action=join.action, value=join.value)
    )
    pressed = refusal.text
    assert pressed.startswith("You're already in New-hire buddy as a mentor"), pressed
    await chat.say("ana", "join buddies")  # the form, side not chosen yet
    submitted = await chat.submit("ana", {"side": "mentee"}, kind="join_form")
    assert submitted.startswith("You're already in New-hire buddy as a mentor"), submitted
    assert await chat.snapshot() == before


async def test_a_coordinator_cannot_enrol_a_mentee_as_a_mentor_too(chat: Chat) -> None:
    await programme_with_pair(chat)
    before = await chat.snapshot()
    reply = await chat.say("maya", "enroll @ben buddies mentor")
    assert reply.startswith("Ben is already in New-hire buddy as a mentee"), reply
    assert "leave buddies" in reply
    assert await chat.snapshot() == before


async def test_the_same_side_again_only_updates_the_profile(chat: Chat) -> None:
    await _open(chat)
    await chat.say("ana", "join buddies mentor")
    reply = await chat.say("ana", "join buddies mentor --skills python")
    assert reply.startswith("You're already in New-hire buddy as a mentor; I've updated")
    assert "enroll" not in await chat.say("maya", "enroll @ana buddies mentor")


async def test_after_leaving_someone_can_join_on_the_other_side(chat: Chat) -> None:
    await _open(chat)
    await chat.say("ana", "join buddies mentor")
    await chat.say("ana", "leave buddies")
    reply = await chat.say("ana", "join buddies mentee")
    assert "You've joined as a mentee" in reply
    assert await _sides(chat, "ana") == [("mentor", "left"), ("mentee", "active")]
    await accept_conduct(chat, "ana", "buddies")
    assert "New-hire buddy (mentee): waiting to be paired" in await chat.say("ana", "status")
    # …and back again, reusing the place they left.
    await chat.say("ana", "leave buddies")
    assert "You've joined as a mentor" in await chat.say("ana", "join buddies mentor")
    assert await _sides(chat, "ana") == [("mentor", "active"), ("mentee", "left")]


async def test_the_database_refuses_two_live_sides_in_one_programme(chat: Chat) -> None:
    await _open(chat)
    await chat.say("ana", "join buddies mentor")
    async with chat.app.sessions() as session:
        mentor = (await session.scalars(select(Enrolment))).unique().one()
        session.add(
            Enrolment(
                programme_id=mentor.programme_id,
                person_id=mentor.person_id,
                side="mentee",
                status=EnrolmentStatus.ACTIVE,
                created_at=mentor.created_at,
            )
        )
        with pytest.raises(IntegrityError):
            await session.flush()
