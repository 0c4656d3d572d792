"""User stories: a youth programme keeps its young people safe.

Maya coordinates Women in STEM youth mentoring, a safeguarded programme. She records
who is under 18 and their guardians' consent, and mentors' background checks; when a
consent is withdrawn or a check lapses the pairing pauses at once, and the two people
hear only that the programme team paused it. A mentor never sees a young person's
email, and on Slack a coordinator is in every conversation the pair shares. Every story
runs through the real engine on both databases.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import build
from bot.config import load_settings
from bot.runtime import transport_for
from conversations.clock import VirtualClock
from conversations.events import CommandSent, PersonJoined
from conversations.features.safeguarding.safeguarding import clearance_expired
from conversations.messages import Attachment, Message
from storage.models import OutboxMessage, OutboxStatus, Pair, Person
from tests.support.fake_slack import FakeSlack
from tests.support.harness import START, Chat, accept_conduct, programme_with_pair

STEM = "Women in STEM youth mentoring"
PAUSED = {
    handle: f"Your pairing with {partner} in {STEM} has been paused by the programme team. "
    "Nothing you need to do."
    for handle, partner in (("ana", "Ben"), ("ben", "Ana"))
}
"""What Ana and Ben are each told when the team pauses their pairing: which pairing, not why."""


async def youth_pair(chat: Chat, *, cleared_until: str = "2027-06-30") -> None:
    """Maya runs STEM; Ana, cleared until ``cleared_until``, mentors Ben, who is under 18
    and whose guardian consented before he joined."""
    await chat.say("maya", "minor <@ben|Ben> yes")
    await chat.say("maya", "guardian consent <@ben|Ben> 2026-02-20")
    await chat.say("maya", f"clearance record <@ana|Ana> --expires {cleared_until}")
    await programme_with_pair(chat, curriculum="stem-youth-mentoring", key="stem")


async def also_pair(chat: Chat, key: str, mentor: str, mentee: str) -> None:
    """Two more people join a programme that is already open, accept its code and are paired."""
    await chat.say(mentor, f"join {key} mentor --skills physics")
    await chat.say(mentee, f"join {key} mentee --interests physics")
    for handle in (mentor, mentee):
        await accept_conduct(chat, handle, key)
    reply = await chat.say("maya", f"pair @{mentor} @{mentee} {key}")
    assert reply.startswith(f"Paired {mentor.title()} (mentor)"), reply


async def pairs(chat: Chat) -> dict[str, tuple[str, str | None]]:
    """Each pair as "Mentor + Mentee": (status, who paused it)."""
    async with chat.app.sessions() as session:
        found = (await session.scalars(select(Pair))).unique().all()
        return {f"{p.mentor.label} + {p.mentee.label}": (p.status, p.paused_by) for p in found}


async def check_clearances(chat: Chat) -> int:
    """What the planner's tick does: one transaction, at the virtual clock's time."""
    async with chat.app.sessions.begin() as session:
        return await clearance_expired(session, now=chat.clock.now())


async def queued(chat: Chat, kind: str) -> int:
    async with chat.app.sessions() as session:
        found = await session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == kind)
        )
        return int(found or 0)


def everything_in(message: Message) -> str:
    """All a message carries (text, card, buttons, values), as one string to search."""
    return json.dumps(message.to_json(), ensure_ascii=False)


async def test_a_coordinator_records_who_is_under_18_and_their_guardians_consent(
    chat: Chat,
) -> None:
    assert await chat.say("maya", "minor <@ben|Ben>") == (
        "Marked Ben as under 18. No guardian's consent is on record yet; until it is, Ben "
        "won't be paired. Record it with guardian consent @ben [YYYY-MM-DD]."
    )
    assert await chat.say("maya", "guardian consent @ben") == (
        "Recorded a guardian's consent for Ben, given 2 Mar 2026."
    )
    assert await chat.say("maya", "guardian consent @ben 2026-02-20") == (
        "Recorded a guardian's consent for Ben, given 20 Feb 2026."
    )
    async with chat.app.sessions() as session:
        ben = await session.scalar(select(Person).where(Person.platform_user_id == "ben"))
    assert ben is not None and ben.is_minor
    assert ben.guardian_consent_at == datetime(2026, 2, 20, tzinfo=UTC)
    assert await chat.say("maya", "minor @ben no") == "Ben is no longer marked as under 18."
    assert await chat.say("maya", "minor @ben yes") == (
        "Marked Ben as under 18. A guardian's consent is on record from 20 Feb 2026."
    )
    assert "Withdrew the guardian's consent for Ben. Ben has no running pairing" in (
        await chat.say("maya", "guardian revoke @ben")
    )
    audit = await chat.say("maya", "audit")
    for line in (
        "minor.mark Ben (minor: no → yes)",
        "guardian.consent Ben (consent: - → 2026-03-02)",
        "guardian.consent Ben (consent: 2026-03-02 → 2026-02-20)",
        "minor.unmark Ben (minor: yes → no)",
        "guardian.revoke Ben (consent: 2026-02-20 → -)",
    ):
        assert f"Maya · {line}" in audit, audit


async def test_only_coordinators_keep_these_records_and_a_refusal_changes_nothing(
    chat: Chat,
) -> None:
    await youth_pair(chat)
    before = await chat.snapshot()
    for verb, words in (
        ("minor", "@ana yes"),
        ("minor", "@ben no"),
        ("guardian consent", "@ben"),
        ("guardian revoke", "@ben"),
        ("pair resume", "@ana @ben stem"),
        ("clearance revoke", "@ana"),
    ):
        assert await chat.say("ben", f"{verb} {words}") == (
            f"Only coordinators can use {verb}. Ask Maya if you need it done."
        )
    for text, said in {
        "minor @ben maybe": "'maybe' isn't yes or no",
        "minor @ben yes": "Nothing to change: Ben is already marked as under 18.",
        "minor @ana no": "Nothing to change: Ana is not marked as under 18.",
        "guardian consent @ben 2026-03-03": "That date is in the future",
        "guardian consent @ben tomorrow": "'tomorrow' isn't a date; write it as YYYY-MM-DD",
        "guardian consent @ana": "Ana isn't marked as under 18, so no guardian's consent",
        "guardian revoke @ana": "No guardian's consent is on record for Ana.",
        "guardian consent": "That's not quite how guardian consent works.",
        "pair resume @ana @ben stem": f"Ana and Ben aren't paused in {STEM}.",
        "pair resume @ben @ana stem": f"Ben isn't mentoring Ana in {STEM}.",
    }.items():
        reply = await chat.say("maya", text)
        assert reply.startswith(said), (text, reply)
    assert await chat.snapshot() == before


async def test_withdrawing_a_guardians_consent_pauses_the_pairing_until_the_team_resumes_it(
    chat: Chat,
) -> None:
    await youth_pair(chat)
    await chat.say("maya", "admin grant <@cleo|Cleo> coordinator")
    earlier = {handle: len(chat.inbox(handle)) for handle in ("ana", "ben")}
    assert await chat.say("maya", "guardian revoke @ben") == (
        f"Withdrew the guardian's consent for Ben. I've paused Ana with Ben in {STEM}: both "
        "people were told only that the programme team paused it."
    )
    assert await pairs(chat) == {"Ana + Ben": ("paused", "programme team")}
    for handle in ("ana", "ben"):
        assert chat.last(handle, "paused_by_team").text == PAUSED[handle]
    assert chat.last("cleo", "safeguarding_notice").text == (
        f"Maya withdrew the guardian's consent for Ben, so I've paused Ana with Ben in {STEM}. "
        "Both people were told only that the programme team paused it."
    )
    assert "safeguarding_notice" not in chat.kinds("maya")  # she has the reply
    assert await chat.say("maya", "pair resume @ana @ben stem") == (
        "Ana and Ben can't carry on yet: Ben is a minor and no guardian's consent is recorded yet."
    )
    assert await chat.say("maya", "guardian consent @ben") == (
        "Recorded a guardian's consent for Ben, given 2 Mar 2026. Paused pairings that can "
        "now carry on, if you're happy they should: pair resume @ana @ben stem."
    )
    assert await pairs(chat) == {"Ana + Ben": ("paused", "programme team")}
    assert await chat.say("maya", "pair resume @ana @ben stem") == (
        f"Ana and Ben can carry on in {STEM}. I've told them both; their next agenda comes on "
        "the usual rhythm."
    )
    assert await pairs(chat) == {"Ana + Ben": ("active", None)}
    for handle, partner in (("ana", "Ben"), ("ben", "Ana")):
        assert chat.last(handle, "resumed_by_team").text == (
            f"Your pairing with {partner} in {STEM} can carry on: the programme team has "
            "resumed it. I'll send your next agenda on the usual rhythm."
        )
    since = [everything_in(m).lower() for h in earlier for m in chat.inbox(h)[earlier[h] :]]
    assert len(since) == 4  # paused, then resumed, to each of them
    assert not [said for said in since if "guardian" in said or "consent" in said]
    resumed = len(chat.inbox("ben"))
    await chat.wait(days=15)  # the rhythm restarted: the session falls due, "did you meet?"
    assert "meet_due" in [m.kind for m in chat.inbox("ben")[resumed:]]


async def test_marking_someone_under_18_pauses_a_pairing_they_may_not_be_in(chat: Chat) -> None:
    await programme_with_pair(chat)  # New-hire buddy is not safeguarded
    reply = await chat.say("maya", "minor @ben yes")
    assert reply.endswith(
        "I've paused Ana with Ben in New-hire buddy: both people were told only that the "
        "programme team paused it."
    ), reply
    assert await pairs(chat) == {"Ana + Ben": ("paused", "programme team")}
    await chat.say("maya", "guardian consent @ben")
    assert await chat.say("maya", "pair resume @ana @ben buddies") == (
        "Ana and Ben can't carry on yet: an adult and a minor can only be paired in a "
        "safeguarded programme."
    )


@pytest.mark.slow
async def test_an_expired_clearance_pauses_the_pairing_once_and_tells_coordinators_once(
    chat: Chat,
) -> None:
    await youth_pair(chat, cleared_until="2026-03-10")
    await chat.say("maya", "minor <@dev|Dev> yes")
    await chat.say("maya", "guardian consent <@dev|Dev>")
    await chat.say("maya", "clearance record <@cleo|Cleo> --expires 2027-06-30")
    await also_pair(chat, "stem", "cleo", "dev")  # still cleared: carries on
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await also_pair(chat, "buddies", "ana", "eve")  # not safeguarded: carries on
    chat.clock.advance(timedelta(days=8))  # Tuesday 10 March, in working hours

    assert await check_clearances(chat) == 1
    assert await check_clearances(chat) == 0  # nothing more the second time
    await chat.dispatcher.drain()

    assert await pairs(chat) == {
        "Ana + Ben": ("paused", "clearance"),
        "Cleo + Dev": ("active", None),
        "Ana + Eve": ("active", None),
    }
    assert chat.kinds("maya", only=("clearance_lapsed",)) == ["clearance_lapsed"]
    assert chat.last("maya", "clearance_lapsed").text == (
        f"Ana's clearance expired on 10 Mar 2026, so I've paused their pairing (Ana with Ben "
        f"in {STEM}). Both people were told only that the programme team paused it. Once the "
        "clearance is renewed (clearance record @ana --expires YYYY-MM-DD), let each pair "
        "carry on with: pair resume @ana @ben stem."
    )
    for handle in ("ana", "ben"):
        assert [m.text for m in chat.inbox(handle) if m.kind == "paused_by_team"] == [
            PAUSED[handle]
        ]
    assert not [m for m in chat.inbox("ben") if "clearance" in everything_in(m).lower()]
    paused = len(chat.inbox("ben"))
    await chat.wait(days=15)  # a paused pair is asked nothing; the others carry on
    await chat.hours(24)
    assert await check_clearances(chat) == 0
    prompts = ("agenda", "meet_due")
    assert not [m for m in chat.inbox("ben")[paused:] if m.kind in prompts]
    assert "meet_due" in chat.kinds("eve") and "meet_due" in chat.kinds("dev")
    assert chat.kinds("maya", only=("clearance_lapsed",)) == ["clearance_lapsed"]


@pytest.mark.slow
async def test_two_instances_checking_clearances_at_once_pause_each_pair_once(
    chat: Chat,
) -> None:
    await youth_pair(chat, cleared_until="2026-03-10")
    chat.clock.advance(timedelta(days=8))
    results = await asyncio.gather(
        check_clearances(chat), check_clearances(chat), return_exceptions=True
    )
    assert sorted(r for r in results if isinstance(r, int)) == [0, 1], results
    assert await pairs(chat) == {"Ana + Ben": ("paused", "clearance")}
    assert await queued(chat, "paused_by_team") == 2  # Ana and Ben, once each
    assert await queued(chat, "clearance_lapsed") == 1  # Maya, once


async def test_a_renewed_clearance_lets_the_coordinator_resume_the_pairing(chat: Chat) -> None:
    await youth_pair(chat, cleared_until="2026-03-10")
    chat.clock.advance(timedelta(days=8))
    await check_clearances(chat)
    assert await chat.say("maya", "pair resume @ana @ben stem") == (
        "Ana and Ben can't carry on yet: Ana has no valid clearance."
    )
    assert await chat.say("maya", "clearance record @ana --expires 2027-03-31") == (
        "Recorded Ana's clearance until 31 Mar 2027. Paused pairings that can now carry on, "
        "if you're happy they should: pair resume @ana @ben stem."
    )
    assert await pairs(chat) == {"Ana + Ben": ("paused", "clearance")}  # resuming is a choice
    assert (await chat.say("maya", "pair resume @ana @ben stem")).startswith(
        "Ana and Ben can carry on"
    )
    assert await check_clearances(chat) == 0
    assert await pairs(chat) == {"Ana + Ben": ("active", None)}
    resumed = len(chat.inbox("ben"))
    await chat.wait(days=15)  # the rhythm restarted: the session falls due, "did you meet?"
    assert "meet_due" in [m.kind for m in chat.inbox("ben")[resumed:]]


async def test_a_revoked_clearance_holds_the_pairing_even_if_someone_types_resume(
    chat: Chat,
) -> None:
    await youth_pair(chat)
    await chat.say("maya", "admin grant <@cleo|Cleo> coordinator")
    assert await chat.say("maya", "clearance revoke @ana") == (
        f"Withdrew Ana's clearance. I've paused Ana with Ben in {STEM}: both people were told "
        "only that the programme team paused it."
    )
    assert chat.last("cleo", "safeguarding_notice").text.startswith(
        f"Maya withdrew Ana's clearance, so I've paused Ana with Ben in {STEM}."
    )
    await chat.say("ben", "resume")
    await check_clearances(chat)  # the planner's next tick
    assert await pairs(chat) == {"Ana + Ben": ("paused", "clearance")}


@pytest.mark.slow
async def test_a_minors_email_never_reaches_their_mentor(chat: Chat) -> None:
    """Everything Ana is ever shown while she mentors Ben (replies, deliveries, her home
    screen) through mentee choice, the sessions, nudges, pauses and his leaving."""
    email = "ben.okafor@school.example"
    await chat.say("maya", "program create stem --curriculum stem-youth-mentoring")
    await chat.say("maya", "program open stem")
    await chat.say("maya", "program set stem --matching choice")
    # Slack and Teams tell the bot a person's email; Ben's arrives with his first event.
    await chat.app.engine.handle(PersonJoined(actor=replace(chat.actor("ben"), email=email)))
    await chat.say("maya", "minor @ben yes")
    await chat.say("maya", "guardian consent @ben")
    await chat.say("maya", "clearance record <@ana|Ana> --expires 2027-06-30")
    await chat.say("maya", "digest subscribe <@ana|Ana> stem mon 08:00")
    await chat.say("ana", "join stem mentor --skills physics")
    await chat.say("ben", "join stem mentee --interests physics")
    for handle in ("ana", "ben"):
        await accept_conduct(chat, handle, "stem")
    await chat.say("maya", "match stem")
    await chat.say("maya", "publish stem")
    await chat.press("ben", "Ask Ana", kind="mentor_choice")
    await chat.press("ana", "Accept", kind="mentor_request")
    await chat.say("ben", "met")
    await chat.say("ana", 'checkin 5 "good start"')
    for text in ("status", "agenda", "status stem", "help"):
        await chat.say("ana", text)
    await chat.say("ben", "pause")
    await chat.say("ben", "resume")
    for _ in range(5):  # agendas, nudges, pulses, reminders, stall notices, digests
        await chat.wait(days=7)
    await chat.hours(48)
    await chat.say("maya", "guardian revoke @ben")
    await chat.say("maya", "guardian consent @ben")
    await chat.say("maya", "pair resume @ana @ben stem")
    home = await chat.app.engine.home(chat.actor("ana"))
    await chat.say("ben", "leave stem")

    seen = chat.inbox("ana") + chat.replies["ana"] + home
    kinds = {m.kind for m in seen}
    assert {
        "mentor_request",
        "introduction",
        "agenda",
        "checkin",
        "pause_notice",
        "resume_notice",
        "paused_by_team",
        "resumed_by_team",
        "partner_left",
        "status",
        "digest",
    } <= kinds, kinds
    assert sum("Ben" in everything_in(m) for m in seen) >= 5  # they do talk about him
    leaked = [m.kind for m in seen if email in everything_in(m).lower()]
    assert leaked == []
    async with chat.app.sessions() as session:  # the bot does know it: it just never says it
        known = await session.scalar(select(Person.email).where(Person.platform_user_id == "ben"))
    assert known == email


@pytest.fixture
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """slack_sdk sends requests through a proxy named in the environment; the fake is local."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.mark.usefixtures("_no_proxy")
@pytest.mark.slow
async def test_on_slack_a_coordinator_is_in_every_conversation_a_safeguarded_pair_shares(
    database_url: str,
) -> None:
    """The engine addresses pair messages to the pair; the Slack transport, wired as
    ``mentorbot serve`` wires it, opens the pair's group DM with a coordinator in it."""
    async with FakeSlack() as slack:
        settings = load_settings(
            database_url=database_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret="8f742231b10e8888abcd99yyyzzz85a5",
            slack_api_url=slack.api_url,
        )
        clock = VirtualClock(START)
        app = await build(settings, clock=clock, upgrade=False)
        router = transport_for(app)
        assert router is not None
        try:
            chat = Chat(app, clock, workspace="T1", platform="slack")
            chat.dispatcher = app.dispatcher(router, concurrency=1, platforms=frozenset({"slack"}))
            await youth_pair(chat)
            await chat.say("ben", "met")
            for _ in range(3):
                await chat.wait(days=7)
            await chat.hours(48)
            async with app.sessions() as session:
                failed = await session.scalar(
                    select(func.count(OutboxMessage.id)).where(
                        OutboxMessage.status == OutboxStatus.DEAD
                    )
                )
        finally:
            await router.close()
            await app.close()
    assert failed == 0
    opened = [set(c.params["users"].split(",")) for c in slack.calls_to("conversations.open")]
    shared = [users for users in opened if {"ana", "ben"} <= users]
    assert shared and all("maya" in users for users in shared), opened
    space = slack.posts_in(FakeSlack.conversation_id("ana", "ben", "maya"))
    keys = [post.metadata["event_payload"]["key"] for post in space if post.metadata]
    assert any(k.endswith(":intro") for k in keys) and any(k.endswith(":agenda") for k in keys)
    assert slack.posts_in(FakeSlack.conversation_id("ana", "ben")) == []


async def test_a_minor_imported_by_email_alone_is_not_introduced_by_their_email(
    chat: Chat,
) -> None:
    email = "ben.okafor@school.example"
    await chat.say("maya", "program create stem --curriculum stem-youth-mentoring")
    await chat.say("maya", "program open stem")
    roster = f"id,email,role,interests\nben,{email},mentee,physics\n"
    await chat.app.engine.handle(
        CommandSent(
            actor=chat.actor("maya"),
            text="import stem",
            attachments=(Attachment(name="people.csv", data=roster.encode()),),
        )
    )
    await chat.say("maya", "minor @ben yes")
    await chat.say("maya", "guardian consent @ben")
    await chat.say("maya", "clearance record <@ana|Ana> --expires 2027-06-30")
    await chat.say("ana", "join stem mentor --skills physics")
    await accept_conduct(chat, "ana", "stem")
    # Ben accepts from Teams, where the activity carried no name and the member lookup failed.
    await chat.app.engine.handle(
        CommandSent(actor=replace(chat.actor("ben"), display_name=""), text="conduct stem agree")
    )
    assert (await chat.say("maya", "pair @ana @ben stem")).startswith("Paired Ana (mentor)")
    introduction = chat.last("ana", "introduction")
    assert email not in everything_in(introduction)


async def test_a_safeguarded_pair_with_no_adult_outside_it_does_not_start(chat: Chat) -> None:
    """Regression (issue 16 item 3): when the only coordinator mentors in a safeguarded
    programme and nobody is a safeguarding contact, the pair's space would have had no
    adult but the mentor. The pairing does not start, and the coordinator is told why."""
    await chat.say("maya", "minor <@ben|Ben> yes")
    await chat.say("maya", "guardian consent <@ben|Ben> 2026-02-20")
    await chat.say("maya", "program create stem --curriculum stem-youth-mentoring")
    await chat.say("maya", "program open stem")
    await chat.say("maya", "join stem mentor --skills physics")
    await chat.say("ben", "join stem mentee --interests physics")
    for handle in ("maya", "ben"):
        await accept_conduct(chat, handle, "stem")
    await chat.say("ana", "help")
    # her background check, recorded before she was the only coordinator left
    async with chat.app.sessions.begin() as session:
        maya = await session.scalar(select(Person).where(Person.platform_user_id == "maya"))
        assert maya is not None
        maya.clearance_recorded_at = START
        maya.clearance_expires_at = START + timedelta(days=400)

    before = await chat.snapshot()
    refused = await chat.say("maya", "pair @maya @ben stem")
    assert refused.startswith("I can't pair Maya with Ben: nobody outside the pair"), refused
    assert "admin grant @someone safeguarding" in refused
    assert await chat.snapshot() == before

    await chat.say("maya", "admin grant @ana safeguarding")
    assert (await chat.say("maya", "pair @maya @ben stem")).startswith("Paired Maya (mentor)")


async def test_a_coordinator_cannot_record_or_withdraw_the_clearance_of_their_own_partner(
    chat: Chat,
) -> None:
    """Regression (issue 16 item 3): a coordinator refused to record their own clearance
    could still vouch for their mentor's (freeing the pairing they are in to resume) or
    withdraw it (pausing it); whether the two of them may meet is never theirs to decide."""
    await chat.hello("maya")
    await chat.hello("ben")
    await chat.say("maya", "admin grant @ben coordinator")
    await youth_pair(chat)
    before = await chat.snapshot()
    for command in ("clearance record @ana --expires 2028-01-01", "clearance revoke @ana"):
        said = await chat.say("ben", command)
        assert said == "You're paired with Ana, so another coordinator needs to do that.", said
    assert await chat.snapshot() == before
    assert (await chat.say("maya", "clearance revoke @ana")).startswith("Withdrew Ana's")
