"""Safety before matching: the code of conduct and consent, minors, and blocking.

Nobody is matched before accepting the programme's code of conduct as it stands; a minor
needs a guardian's consent and, with an adult, a safeguarded programme; anyone can block
someone, which ends their pairing kindly and keeps them apart in every programme.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conversations.events import ButtonPressed
from storage.models import (
    AuditEntry,
    DoNotPair,
    Enrolment,
    OutboxMessage,
    Pair,
    Person,
)
from tests.support.harness import Chat, accept_conduct, programme_with_pair

BUDDY_CODE_START = "1. There are no silly questions here, and no one keeps score."


def at(handle: str) -> str:
    return f"<@{handle}|{handle.capitalize()}>"


async def _open(chat: Chat, key: str = "buddies", curriculum: str = "new-hire-buddy") -> None:
    await chat.say("maya", f"program create {key} --curriculum {curriculum}")
    await chat.say("maya", f"program open {key}")


async def _join(chat: Chat, handle: str, side: str, key: str = "buddies") -> str:
    return await chat.say(handle, f"join {key} {side} --interests data --skills data")


async def _set(chat: Chat, handle: str, **values: Any) -> None:
    """Record something about a person directly, as the safeguarding team's tools would."""
    async with chat.app.sessions.begin() as session:
        person = await session.scalar(select(Person).where(Person.platform_user_id == handle))
        assert person is not None
        for name, value in values.items():
            setattr(person, name, value)


async def _pairs(chat: Chat) -> list[tuple[str, str, str, str | None]]:
    async with chat.app.sessions() as session:
        rows = (await session.scalars(select(Pair).order_by(Pair.id))).unique().all()
    return [(p.mentor.label, p.mentee.label, str(p.status), p.end_reason) for p in rows]


async def _without_outbox(chat: Chat) -> dict[str, list[tuple[object, ...]]]:
    return {
        name: rows
        for name, rows in (await chat.snapshot()).items()
        if name not in ("outbox", "outbox_mentions")
    }


async def test_joining_shows_the_code_with_an_i_agree_button(chat: Chat) -> None:
    await _open(chat)
    reply = await _join(chat, "ben", "mentee")
    assert reply.startswith("Welcome to New-hire buddy. You've joined as a mentee.")
    joined, code = chat.replies["ben"][-2:]
    assert joined.kind == "joined" and code.kind == "conduct"
    assert code.card is not None and code.card.header == "Code of conduct: New-hire buddy"
    assert BUDDY_CODE_START in code.text
    assert "Before you're matched in New-hire buddy" in code.text
    [agree] = code.buttons()
    assert (agree.label, agree.action, agree.value) == ("I agree", "conduct.accept", "1:1")
    assert "waiting for you to accept the code of conduct (type conduct buddies)" in (
        await chat.say("ben", "status")
    )
    thanks = await chat.press("ben", "I agree", kind="conduct")
    assert thanks.startswith("Thank you for accepting the code of conduct for New-hire buddy.")
    async with chat.app.sessions() as session:
        enrolment = await session.scalar(select(Enrolment))
        audit = (await session.scalars(select(AuditEntry.action))).all()
    assert enrolment is not None
    assert (enrolment.consented_at, enrolment.consent_version) == (chat.clock.now(), 1)
    assert "conduct.accept" in audit
    assert "waiting to be paired" in await chat.say("ben", "status")
    again = await chat.say("ben", "conduct buddies")
    assert "You accepted the code of conduct for New-hire buddy on" in again
    assert chat.replies["ben"][-1].buttons() == ()


async def test_before_accepting_pair_refuses_resends_and_match_leaves_them_out(
    chat: Chat,
) -> None:
    await _open(chat)
    await _join(chat, "ana", "mentor")
    await chat.press("ana", "I agree", kind="conduct")
    await _join(chat, "ben", "mentee")
    assert "1 of 2 haven't accepted version 1 yet" in await chat.say(
        "maya", "program status buddies"
    )
    before = await _without_outbox(chat)
    refused = await chat.say("maya", "pair @ana @ben buddies")
    assert refused == "Ben hasn't accepted the code of conduct yet; I've sent it to them again."
    assert await _without_outbox(chat) == before
    assert await _pairs(chat) == []
    [resent] = [m for m in chat.inbox("ben") if m.kind == "conduct"]
    assert "Your coordinator would like to pair you in New-hire buddy" in resent.text
    assert [b.label for b in resent.buttons()] == ["I agree"]

    proposal = await chat.say("maya", "match buddies")
    assert "0 pairs proposed" in proposal and "1 mentee unmatched" in proposal
    assert "• Ben: waiting to accept the code of conduct" in proposal
    assert "1 waiting to accept the code of conduct." in proposal

    await chat.press("ben", "I agree", kind="conduct")
    assert "everyone enrolled has accepted version 1" in await chat.say(
        "maya", "program status buddies"
    )
    assert "1 pair proposed" in await chat.say("maya", "match buddies")
    assert (await chat.say("maya", "publish buddies")).startswith("Published 1 pair")
    assert chat.kinds("ben")[-1] == "introduction"


async def test_someone_a_coordinator_enrols_is_sent_the_code_to_accept(chat: Chat) -> None:
    await _open(chat)
    assert (await chat.say("maya", f"enroll {at('ben')} buddies mentee")).startswith("Enrolled")
    [card] = [m for m in chat.inbox("ben") if m.kind == "conduct"]
    assert "You've been enrolled in New-hire buddy" in card.text
    assert BUDDY_CODE_START in card.text
    await chat.say("maya", f"enroll {at('ben')} buddies mentee --interests data")
    assert chat.kinds("ben") == ["conduct"]  # updating a profile doesn't send it twice
    assert (await chat.press("ben", "I agree", kind="conduct")).startswith("Thank you")
    await chat.say("maya", f"enroll {at('ben')} buddies mentee --interests python")
    assert chat.kinds("ben") == ["conduct"]


async def test_a_new_code_asks_everyone_again_and_old_acceptances_stop_counting(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    await _join(chat, "cleo", "mentee")
    await chat.press("cleo", "I agree", kind="conduct")
    old_button = chat.last("cleo", "conduct")
    assert "Only coordinators can use program conduct" in await chat.say(
        "ben", 'program conduct buddies "Anything goes."'
    )
    changed = await chat.say(
        "maya", 'program conduct buddies "1. Be kind.\n2. Keep time.\n3. Say no freely."'
    )
    assert changed == (
        "The code of conduct for New-hire buddy is now version 2. I've sent it to 3 people to "
        "accept; until they do, they won't be matched with anyone new. Pairs already running "
        "carry on."
    )
    for handle in ("ana", "ben"):
        card = [m for m in chat.inbox(handle) if m.kind == "conduct"][-1]
        assert "The code of conduct for New-hire buddy has changed" in card.text
        assert "2. Keep time." in card.text
        assert card.buttons()[0].value.endswith(":2")
    shown = await chat.say("maya", "program conduct buddies")
    assert "(version 2, your own); 3 of 3 enrolled haven't accepted it yet" in shown
    assert "1. Be kind." in shown
    assert "3 of 3 haven't accepted version 2 yet" in await chat.say(
        "maya", "program status buddies"
    )
    assert ("Ana", "Ben", "active", None) in await _pairs(chat)  # the live pair carries on
    assert "• Cleo: waiting to accept the code of conduct" in await chat.say(
        "maya", "match buddies"
    )

    before = await chat.snapshot()
    button = old_button.buttons()[0]
    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("cleo"), action=button.action, value=button.value)
    )
    assert await chat.snapshot() == before
    assert replies[0].text == (
        "The code of conduct for New-hire buddy has changed since that message, so that "
        "button can't accept it. Here's the new version."
    )
    assert replies[1].kind == "conduct" and "1. Be kind." in replies[1].text
    assert replies[1].buttons()[0].value.endswith(":2")

    await accept_conduct(chat, "cleo", "buddies")
    audit = await chat.say("maya", "audit buddies")
    assert "Maya · program.conduct buddies (version: 1 → 2)" in audit
    assert "1 mentee unmatched" in await chat.say("maya", "match buddies")


async def test_the_conduct_verb_reads_and_accepts(chat: Chat) -> None:
    await _open(chat)
    await _open(chat, "career", "cross-department-career")
    outsider = await chat.say("dev", "conduct career")
    assert "If you join, I'll ask you to accept it." in outsider
    assert chat.replies["dev"][-1].buttons() == ()
    await _join(chat, "ben", "mentee")
    await _join(chat, "ben", "mentee", key="career")
    await chat.say("ben", "conduct")
    assert [m.kind for m in chat.replies["ben"][-2:]] == ["conduct", "conduct"]
    assert "more than one code of conduct to accept (buddies, career)" in await chat.say(
        "ben", "conduct agree"
    )
    assert (await chat.say("ben", "conduct career agree")).startswith("Thank you for accepting")
    assert (await chat.say("ben", "conduct agree")).startswith(
        "Thank you for accepting the code of conduct for New-hire buddy"
    )
    assert "You've accepted the code of conduct in every programme you're in" in (
        await chat.say("ben", "conduct")
    )


async def test_a_minor_needs_a_guardians_consent_to_be_matched(chat: Chat) -> None:
    await _open(chat, "stem", "stem-youth-mentoring")
    await _join(chat, "ana", "mentor", key="stem")
    await _join(chat, "ben", "mentee", key="stem")
    for handle in ("ana", "ben"):
        await accept_conduct(chat, handle, "stem")
    await _set(chat, "ana", clearance_recorded_at=chat.clock.now())
    await _set(chat, "ben", is_minor=True)
    before = await chat.snapshot()
    refused = await chat.say("maya", "pair @ana @ben stem")
    assert refused == (
        "I can't pair Ana with Ben: Ben is a minor and no guardian's consent is recorded yet."
    )
    assert await chat.snapshot() == before
    assert "• Ben: a minor, waiting for a guardian's consent to be recorded" in (
        await chat.say("maya", "match stem")
    )
    assert "waiting for a guardian's consent" in await chat.say("ben", "status")
    await _set(chat, "ben", guardian_consent_at=chat.clock.now())
    assert "1 pair proposed" in await chat.say("maya", "match stem")
    assert (await chat.say("maya", "publish stem")).startswith("Published 1 pair")


async def test_an_adult_and_a_minor_are_paired_only_in_a_safeguarded_programme(
    chat: Chat,
) -> None:
    await _open(chat)
    await _join(chat, "ana", "mentor")
    await _join(chat, "ben", "mentee")
    for handle in ("ana", "ben"):
        await accept_conduct(chat, handle, "buddies")
    await _set(chat, "ben", is_minor=True, guardian_consent_at=chat.clock.now())
    before = await chat.snapshot()
    refused = await chat.say("maya", "pair @ana @ben buddies")
    assert refused == (
        "I can't pair Ana with Ben: an adult and a minor can only be paired in a safeguarded "
        "programme."
    )
    assert await chat.snapshot() == before
    proposal = await chat.say("maya", "match buddies")
    assert "0 pairs proposed" in proposal
    assert "every mentor is ruled out (1 an adult and a minor can only be paired" in proposal
    # Two minors are not kept apart by this rule.
    await _join(chat, "dev", "mentor")
    await accept_conduct(chat, "dev", "buddies")
    await _set(chat, "dev", is_minor=True, guardian_consent_at=chat.clock.now())
    await chat.say("maya", "match buddies")
    assert await chat.say("maya", "publish buddies") == (
        "Published 1 pair in New-hire buddy; introductions are on their way."
    )
    assert ("Dev", "Ben", "active", None) in await _pairs(chat)


async def test_blocking_ends_the_pair_kindly_and_keeps_them_apart_everywhere(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    said = await chat.say("ben", "block @ana")
    assert said.startswith(
        "You won't be paired with Ana again, in any programme. Your pairing in New-hire buddy "
        "has ended; Ana is told only that it has ended, never that you blocked them."
    )
    notice = chat.last("ana", "pairing_ended")
    assert notice.text.startswith("Your pairing in New-hire buddy has ended.")
    assert "Ben" not in notice.text and "block" not in notice.text.lower()
    assert (
        "asked never to be paired with them again"
        in chat.last("maya", "coordinator_block_notice").text
    )
    assert await _pairs(chat) == [("Ana", "Ben", "ended", "blocked")]
    async with chat.app.sessions() as session:
        [entry] = (await session.scalars(select(DoNotPair))).all()
    assert entry.source == "blocked"
    assert "block Ana" in await chat.say("maya", "audit buddies")

    await _open(chat, "career", "cross-department-career")
    for handle, side in (("ana", "mentor"), ("ben", "mentee")):
        await _join(chat, handle, side, key="career")
        await accept_conduct(chat, handle, "career")
    proposal = await chat.say("maya", "match career")
    assert "0 pairs proposed" in proposal
    assert "every mentor is ruled out (1 on the do-not-pair list)" in proposal
    before = await chat.snapshot()
    refused = await chat.say("maya", "pair @ana @ben career")
    assert refused == "I can't pair Ana with Ben: Ana and Ben are on the do-not-pair list."
    assert "can't be undone by a coordinator" in await chat.say(
        "maya", "do-not-pair remove @ana @ben"
    )
    assert await chat.snapshot() == before
    assert "You've already blocked Ana" in await chat.say("ben", "block @ana")
    assert await chat.snapshot() == before
    # Ana blocking Ben back is never told that Ben blocked her first.
    back = await chat.say("ana", "block @ben")
    assert back.startswith("You won't be paired with Ben again, in any programme. Ben isn't")
    assert "already" not in back


async def test_leave_with_block_leaves_and_blocks_the_partner(chat: Chat) -> None:
    await programme_with_pair(chat)
    said = await chat.say("ana", "leave buddies --block")
    assert said.startswith("You've left New-hire buddy.")
    assert "You won't be paired with Ben again, in any programme." in said
    assert "partner_left" not in chat.kinds("ben")
    assert chat.kinds("ben")[-1] == "pairing_ended"
    assert await _pairs(chat) == [("Ana", "Ben", "ended", "blocked")]
    async with chat.app.sessions() as session:
        [entry] = (await session.scalars(select(DoNotPair))).all()
        statuses = (await session.scalars(select(Enrolment.status).order_by(Enrolment.id))).all()
    assert entry.source == "blocked" and statuses == ["left", "active"]
    await _join(chat, "cleo", "mentor")
    alone = await chat.say("cleo", "leave buddies --block")
    assert "You had no partner in New-hire buddy, so nobody was blocked" in alone


async def test_a_mentor_who_blocks_a_mentee_who_asked_them_is_heard_as_a_decline(
    chat: Chat,
) -> None:
    await _open(chat)
    await chat.say("maya", "program set buddies --matching choice")
    for handle, side in (("ana", "mentor"), ("omar", "mentor"), ("ben", "mentee")):
        await _join(chat, handle, side)
        await accept_conduct(chat, handle, "buddies")
    await chat.say("maya", "match buddies")
    await chat.say("maya", "publish buddies")
    first = chat.last("ben", "mentor_choice").buttons()[0].label.removeprefix("Ask ")
    await chat.press("ben", f"Ask {first}", kind="mentor_choice")
    await chat.say(first.lower(), "block @ben")
    update = chat.last("ben", "offer_update").text
    assert update.startswith(f"{first} can't take on a mentee right now, so I've asked")
    assert "block" not in update.lower()
    async with chat.app.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage.kind))).all()
    assert "pairing_ended" not in rows
