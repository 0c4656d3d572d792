"""Coordinators match a whole pool: propose, review, adjust, publish — constraints honoured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from conversations.events import ButtonPressed
from storage.models import MatchOffer, OfferStatus, Pair, PairStatus
from tests.support.harness import Chat, accept_conduct


def at(handle: str) -> str:
    return f"<@{handle}|{handle.capitalize()}>"


async def _programme(
    chat: Chat, *, key: str = "career", curriculum: str = "cross-department-career"
) -> None:
    await chat.say("maya", f"program create {key} --curriculum {curriculum}")
    await chat.say("maya", f"program open {key}")


async def _enrol(chat: Chat, handle: str, side: str, flags: str = "", key: str = "career") -> None:
    """Maya enrols someone, who then accepts the code of conduct (needed to be matched)."""
    reply = await chat.say("maya", f"enroll {at(handle)} {key} {side} {flags}")
    assert reply.startswith(("Enrolled", "Updated")), reply
    await accept_conduct(chat, handle, key)


def _told(chat: Chat, handle: str) -> list[str]:
    """What reached someone besides the code of conduct they were sent on enrolment."""
    return [kind for kind in chat.kinds(handle) if kind != "conduct"]


async def _proposed(chat: Chat) -> dict[str, str]:
    async with chat.app.sessions() as session:
        pairs = (
            (await session.scalars(select(Pair).where(Pair.status == PairStatus.PROPOSED)))
            .unique()
            .all()
        )
    return {p.mentee.label: p.mentor.label for p in pairs}


async def _standard_pool(chat: Chat) -> None:
    await _programme(chat)
    await _enrol(chat, "ana", "mentor", '--department Finance --skills "budgeting, negotiation"')
    await _enrol(
        chat, "omar", "mentor", '--department Engineering --skills "python, data engineering"'
    )
    await _enrol(
        chat,
        "ben",
        "mentee",
        '--department IT --interests "data engineering" --goals "learn python"',
    )
    await _enrol(
        chat, "cleo", "mentee", '--department Sales --interests "budgeting" --goals "negotiation"'
    )


async def test_match_proposes_the_best_pairs_with_reasons_and_tells_nobody(chat: Chat) -> None:
    await _standard_pool(chat)
    reply = await chat.say("maya", "match career")
    assert "2 pairs proposed" in reply and "0 mentees unmatched" in reply
    assert await _proposed(chat) == {"Ben": "Omar", "Cleo": "Ana"}
    assert (
        "Omar brings data engineering and python, which Ben wants to grow; you work in "
        "different parts of the organisation (Engineering and IT)"
    ) in reply
    assert _told(chat, "ben") == [] and _told(chat, "omar") == []
    published = await chat.say("maya", "publish career")
    assert published.startswith("Published 2 pairs in Cross-department career mentoring")
    assert _told(chat, "ben") == ["introduction"] and _told(chat, "ana") == ["introduction"]
    assert "Omar brings data engineering" in chat.last("ben", "introduction").text
    assert await _proposed(chat) == {}


async def test_the_publish_button_on_the_proposal_works_for_coordinators_only(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", "match career")
    await chat.hello("ben")
    proposal = chat.last("maya", "proposal")
    button = next(b for b in proposal.buttons() if b.label == "Publish")
    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("ben"), action=button.action, value=button.value)
    )
    assert replies[0].text == "Only coordinators can do that."
    assert (await chat.press("maya", "Publish", kind="proposal")).startswith("Published 2")


async def test_mentor_capacity_is_honoured_and_the_rest_are_listed_with_a_reason(
    chat: Chat,
) -> None:
    await _programme(chat)
    await _enrol(chat, "ana", "mentor", "--skills data --capacity 2")
    for name in ("ben", "cleo", "dev"):
        await _enrol(chat, name, "mentee", "--interests data")
    reply = await chat.say("maya", "match career")
    assert len(await _proposed(chat)) == 2
    assert "1 mentee unmatched" in reply
    assert "every suitable mentor's places are taken (1 suitable)" in reply


async def test_the_do_not_pair_list_is_never_crossed(chat: Chat) -> None:
    await _standard_pool(chat)
    assert "will never be proposed together" in await chat.say(
        "maya", f"do-not-pair {at('omar')} {at('ben')}"
    )
    await chat.say("maya", "match career")
    proposed = await _proposed(chat)
    assert proposed.get("Ben") != "Omar"
    assert "will never be proposed together" not in " ".join(m.text for m in chat.inbox("ben"))


async def test_nobody_is_proposed_within_their_own_reporting_line(chat: Chat) -> None:
    await _programme(chat)
    await _enrol(chat, "ana", "mentor", "--skills data")
    await _enrol(chat, "omar", "mentor", "--skills pottery --capacity 2")
    await _enrol(chat, "ben", "mentee", f"--interests data --manager {at('eve')}")
    await _enrol(chat, "eve", "mentee", f"--manager {at('ana')}")
    await chat.say("maya", "match career")
    # Ana is Eve's manager and Ben's manager's manager: both go to Omar instead.
    assert await _proposed(chat) == {"Ben": "Omar", "Eve": "Omar"}


async def test_a_past_pairing_is_not_proposed_again(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", f"pair {at('omar')} {at('ben')} career")
    assert "both have been told kindly" in await chat.say(
        "maya", f"unpair {at('omar')} {at('ben')} career"
    )
    assert _told(chat, "ben")[-1] == "unpaired"
    await chat.say("maya", "match career")
    assert (await _proposed(chat))["Ben"] == "Ana"


async def test_a_safeguarded_programme_only_proposes_cleared_mentors(chat: Chat) -> None:
    await _programme(chat, key="stem", curriculum="stem-youth-mentoring")
    await _enrol(chat, "ana", "mentor", "--skills physics", key="stem")
    await _enrol(chat, "omar", "mentor", "--skills physics", key="stem")
    await _enrol(chat, "ben", "mentee", "--interests physics", key="stem")
    await _enrol(chat, "cleo", "mentee", "--interests physics", key="stem")
    reply = await chat.say("maya", "match stem")
    assert "no mentor has a recorded clearance" in reply
    assert await _proposed(chat) == {}
    assert "Recorded Omar's clearance until 30 Jun 2027" in await chat.say(
        "maya", f"clearance record {at('omar')} --expires 2027-06-30"
    )
    await chat.say("maya", "match stem")
    assert set((await _proposed(chat)).values()) == {"Omar"}
    chat.clock.advance(timedelta(days=500))  # the clearance expires
    reply = await chat.say("maya", "match stem")
    assert await _proposed(chat) == {}


async def test_swap_remove_pin_and_rerun_around_pins(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", "match career")
    swapped = await chat.say("maya", f"match swap career {at('ben')} {at('cleo')}")
    assert swapped == "Swapped: Ana → Ben and Omar → Cleo. Both are pinned."
    await chat.say("maya", "match career")  # re-running keeps the pins
    assert await _proposed(chat) == {"Ben": "Ana", "Cleo": "Omar"}
    await chat.say("maya", f"match unpin career {at('ben')}")
    await chat.say("maya", f"match unpin career {at('cleo')}")
    await chat.say("maya", "match career")
    assert await _proposed(chat) == {"Ben": "Omar", "Cleo": "Ana"}
    removed = await chat.say("maya", f"match remove career {at('ben')}")
    assert "won't be proposed again" in removed
    await chat.say("maya", "match career")
    assert (await _proposed(chat)).get("Ben") != "Omar"
    pinned = await chat.say("maya", f"match pin career {at('ben')} {at('omar')}")
    assert "can't mentor Ben: a proposal the coordinator removed" in pinned


async def test_pinning_a_mentor_by_hand_checks_places_and_constraints(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", "match career")
    full = await chat.say("maya", f"match pin career {at('ben')} {at('ana')}")
    assert "Ana has no places left in Cross-department career mentoring" in full
    await chat.say("maya", f"do-not-pair {at('ana')} {at('cleo')}")
    refused = await chat.say("maya", f"match pin career {at('cleo')} {at('omar')}")
    assert "Omar has no places left" in refused
    ok = await chat.say("maya", f"match pin career {at('ben')}")
    assert ok == "Pinned Omar → Ben."


async def test_publish_skips_pairs_that_went_stale(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", "match career")
    await chat.say("cleo", "leave career")
    reply = await chat.say("maya", "publish career")
    assert "Published 1 pair" in reply
    assert "Ana → Cleo: Cleo is no longer taking part" in reply
    assert _told(chat, "ana") == []


@pytest.mark.slow
async def test_mentee_choice_mode_asks_mentors_in_turn(chat: Chat) -> None:
    await _programme(chat)
    assert "matching: choice" in await chat.say(
        "maya", "program set career --matching choice --choice-window 2d"
    )
    for name in ("ana", "omar", "eve", "dev"):
        await _enrol(chat, name, "mentor", "--skills data")
    await _enrol(chat, "ben", "mentee", "--interests data")
    reply = await chat.say("maya", "match career")
    assert "Mentee choice: 1 mentee will be offered up to 3 mentors" in reply
    assert _told(chat, "ben") == []
    await chat.say("maya", "publish career")
    choice = chat.last("ben", "mentor_choice")
    assert len(choice.buttons()) == 3
    first = choice.buttons()[0].label.removeprefix("Ask ")
    asked = await chat.press("ben", f"Ask {first}", kind="mentor_choice")
    assert asked == f"I've asked {first}. You'll hear back within 2 days."
    request = chat.last(first.lower(), "mentor_request")
    assert "Ben would like you as their mentor" in request.text
    declined = await chat.press(first.lower(), "Decline", kind="mentor_request")
    assert "they won't be told why" in declined
    update = chat.last("ben", "offer_update").text
    assert update.startswith(f"{first} can't take on a mentee right now, so I've asked")
    second = update.split("I've asked ")[1].split(",")[0]
    await chat.wait(days=2)  # no answer in time: the third is asked
    third_update = chat.last("ben", "offer_update").text
    assert third_update.startswith(f"{second} didn't answer in time, so I've asked")
    third = third_update.split("I've asked ")[1].split(",")[0]
    await chat.hours(4)  # the request waits for the third mentor's working hours
    accepted = await chat.press(third.lower(), "Accept", kind="mentor_request")
    assert accepted == "Thank you. I've introduced you to Ben."
    assert _told(chat, "ben")[-1] == "introduction"
    late = await chat.press(second.lower(), "Accept", kind="mentor_request")
    assert late == "That request has already been settled. Thank you for answering."


async def test_when_every_suggestion_declines_the_coordinators_step_in(chat: Chat) -> None:
    await _programme(chat)
    await chat.say("maya", "program set career --matching choice")
    await _enrol(chat, "ana", "mentor", "--skills data")
    await _enrol(chat, "ben", "mentee", "--interests data")
    await chat.say("maya", "match career")
    await chat.say("maya", "publish career")
    await chat.press("ben", "Ask Ana", kind="mentor_choice")
    await chat.press("ana", "Decline", kind="mentor_request")
    assert "that was your last suggestion" in chat.last("ben", "offer_update").text
    assert (
        "Ben in Cross-department career mentoring has no mentor yet"
        in chat.last("maya", "coordinator_unmatched").text
    )
    async with chat.app.sessions() as session:
        statuses = (await session.scalars(select(MatchOffer.status))).all()
    assert statuses == [OfferStatus.DECLINED]


async def test_announcing_a_programme_posts_join_buttons_in_a_channel(chat: Chat) -> None:
    await chat.say("maya", "program create career --curriculum cross-department-career")
    reply = await chat.say("maya", "program open career <#C0G9QF9GZ|general>")
    assert reply.endswith(
        # the channel as Slack showed it, not the raw mention (which would arrive escaped)
        "Announced Cross-department career mentoring in #general with Join buttons."
    )
    [announcement] = chat.inbox("#C0G9QF9GZ")
    assert [b.label for b in announcement.buttons()] == ["Join as a mentee", "Join as a mentor"]
    join = announcement.buttons()[1]
    [form] = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("ben"), action=join.action, value=join.value)
    )
    assert form.card is not None and form.card.inputs[0].initial == "mentor"


async def test_pausing_a_programme_holds_every_agenda(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", f"pair {at('omar')} {at('ben')} career")
    assert "is paused" in await chat.say("maya", "program pause career")
    await chat.wait(days=30)
    assert _told(chat, "ben") == ["introduction"]
    assert "is running again" in await chat.say("maya", "program resume career")
    await chat.wait(days=14)  # a cadence after the resume, the session falls due
    assert _told(chat, "ben") == ["introduction", "meet_due"]


async def test_programme_status_counts_every_state(chat: Chat) -> None:
    await _standard_pool(chat)
    await _enrol(chat, "dev", "mentee", "--interests pottery")
    await chat.say("maya", f"pair {at('omar')} {at('ben')} career")
    await chat.wait(days=22)
    await chat.say("maya", "match career")
    status = await chat.say("maya", "program status career")
    assert "enrolled 2 mentors, 3 mentees" in status
    assert "matched 1 mentee matched, 2 waiting" in status
    assert "pairs 1 active (1 stalled), 0 paused, 0 ended, 1 proposed" in status


async def test_every_coordinator_action_is_audited(chat: Chat) -> None:
    await _standard_pool(chat)
    await chat.say("maya", "match career")
    await chat.say("maya", f"match swap career {at('ben')} {at('cleo')}")
    await chat.say("maya", "publish career")
    log = await chat.say("maya", "audit career")
    lines = log.splitlines()[1:]
    assert "Maya · publish career (published: 2, skipped: 0)" in lines[0]
    assert "match.swap Ben and Cleo (first: Omar → Ana, second: Ana → Omar)" in lines[1]
    assert "Maya · match career" in lines[2]
    assert any("enrol" in line for line in lines)
    assert "Only coordinators can use audit" in await chat.say("ben", "audit")
