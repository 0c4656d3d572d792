"""User stories: people see what the bot keeps about them, and can have it deleted.

Anastasia mentors Benedikt. She asks for a copy of her data and gets her own
notes, never his; she asks to be forgotten and, once she confirms, her name,
email and words are gone from every table while the programme's figures stay
true. Closed programmes lose their free text after the retention period. All of
it through the real engine, on both databases.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from conversations.events import Actor, ButtonPressed, CommandSent
from conversations.features.admin import entries
from conversations.features.privacy.privacy import PLACEHOLDER_NAME, purge_expired
from conversations.messages import Attachment, Button, Card, Message
from storage import repositories as repo
from storage.models import (
    AuditEntry,
    Base,
    CheckIn,
    Concern,
    DoNotPair,
    Meeting,
    OutboxMention,
    OutboxMessage,
    Pair,
    PairStatus,
    Person,
    Programme,
    PulseResponse,
    TeamsConversation,
    TeamsMessage,
    Workspace,
)
from tests.support.harness import Chat, open_chat

PEOPLE = {
    "ana": ("Anastasia Quillfeather", "a.quillfeather@example.org"),
    "ben": ("Benedikt Marchetti", "b.marchetti@example.org"),
}
ANA_GOALS = "become a lighthouse keeper"
ANA_NOTE = "Felt heard about my fear of deadlines"
ANA_QUOTE = "Mentoring made the tideline feel closer"
ANA_PULSE = "Settling into the lamp room rhythm"
ANA_CONCERN = "The shared room booking keeps failing for our sessions"
BEN_NOTE = "Benedikt private musing about spreadsheets"
BEN_PULSE = "Benedikt pulse aside"
BEN_CONCERN = "Ben reports something about Anastasia Quillfeather"
ANA_TRACES = (
    "Quillfeather",
    "Anastasia",
    PEOPLE["ana"][1],
    ANA_GOALS,
    ANA_NOTE,
    ANA_QUOTE,
    ANA_PULSE,
)


class NamedChat(Chat):
    """The harness, with full names and email addresses, as Slack and Teams send them."""

    def actor(self, handle: str) -> Actor:
        base = super().actor(handle)
        if handle not in PEOPLE:
            return base
        name, email = PEOPLE[handle]
        return replace(base, display_name=name, email=email)


async def _join(chat: Chat, who: str, command: str) -> None:
    """Join, then accept the programme's code of conduct, as matching requires."""
    await chat.say(who, command)
    await chat.say(who, f"conduct {command.split()[1]} agree")


@pytest.fixture
async def chat(database_url: str) -> AsyncIterator[NamedChat]:
    async with open_chat(database_url) as opened:
        yield NamedChat(opened.app, opened.clock)


async def _mentoring(chat: Chat) -> None:
    """Two weeks of mentoring: check-ins with notes, a pause, a pulse, a role, a digest."""
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await _join(
        chat,
        "ana",
        f'join buddies mentor --department Engineering --skills "python, data" '
        f'--interests climbing --goals "{ANA_GOALS}"',
    )
    await _join(chat, "ben", 'join buddies mentee --department Sales --interests "data, climbing"')
    reply = await chat.say("maya", "pair @ana @ben buddies")
    assert reply.startswith("Paired Anastasia Quillfeather (mentor)"), reply
    await chat.say("maya", "admin grant @ana executive")
    await chat.say("maya", "digest subscribe @ana buddies")
    await chat.say("ana", "met")
    await chat.submit(
        "ana", {"rating": "5", "reflection": ANA_NOTE, "quote": ANA_QUOTE}, kind="checkin"
    )
    await chat.submit("ben", {"rating": "3", "reflection": BEN_NOTE}, kind="checkin")
    for _ in range(2):  # keep meeting until the day-14 pulse
        await chat.wait(days=6)
        await chat.say("ben", "met")
    await chat.hours(24 * 3)
    assert "Thank you" in await chat.submit(
        "ana", {"rating": "4", "comment": ANA_PULSE}, kind="pulse"
    )
    assert "Thank you" in await chat.submit(
        "ben", {"rating": "2", "comment": BEN_PULSE}, kind="pulse"
    )
    await chat.say("ana", "pause")  # Benedikt is told, by name
    await chat.say("ana", "resume")


async def _person(chat: Chat, platform_id: str) -> Person:
    async with chat.app.sessions() as session:
        found = await session.scalar(select(Person).where(Person.platform_user_id == platform_id))
    assert found is not None
    return found


async def _concern(chat: Chat, *, reporter: str, words: str) -> None:
    who = await _person(chat, reporter)
    async with chat.app.sessions.begin() as session:
        pair = await session.scalar(select(Pair))
        assert pair is not None
        session.add(
            Concern(
                workspace_id=who.workspace_id,
                programme_id=pair.programme_id,
                pair_id=pair.id,
                reporter_id=who.id,
                category="other",
                description=words,
                created_at=chat.clock.now(),
            )
        )


async def _teams_copies(chat: Chat) -> None:
    """What the Teams adapter would have kept: her copies, his copy naming her, a waiting
    export file with her email, and a channel reference naming her as its last speaker."""
    ana = await _person(chat, "ana")
    with_button = Message(
        text="How did session 1 with Anastasia Quillfeather go?",
        card=Card(buttons=(Button(label="Send", action="checkin"),)),
        kind="checkin",
    ).to_json()
    export = Message(
        text="buddies-pairs.csv",
        kind="file",
        attachments=(
            Attachment.text(
                "buddies-pairs.csv", f"mentor_email\n{PEOPLE['ana'][1]}\nsomeone@example.org\n"
            ),
        ),
    ).to_json()
    ben = await _person(chat, "ben")
    async with chat.app.sessions.begin() as session:
        # his copy of a message the outbox knows names her (by id), and a direct reply
        naming = await session.scalar(
            select(OutboxMessage.idempotency_key)
            .join(OutboxMention, OutboxMention.outbox_id == OutboxMessage.id)
            .where(OutboxMessage.person_id == ben.id, OutboxMention.person_id == ana.id)
            .limit(1)
        )
        assert naming is not None
        for recipient, message, key in (
            ("ana", with_button, None),
            ("ben", with_button, naming),
            ("ben", with_button, None),
            ("maya", export, None),
        ):
            session.add(
                TeamsMessage(
                    workspace_id=ana.workspace_id,
                    conversation_id=f"chat-{recipient}",
                    activity_id=f"activity-{recipient}-{key}",
                    outbox_key=key,
                    recipient=recipient,
                    message=message,
                    sent_at=chat.clock.now(),
                )
            )
        session.add(
            TeamsConversation(
                workspace_id=ana.workspace_id,
                conversation_id="19:general",
                kind="channel",
                name="General",
                reference={"user": {"id": ana.platform_user_id, "name": "Anastasia Quillfeather"}},
                updated_at=chat.clock.now(),
            )
        )


async def _confided(chat: Chat, *, by: str, about: str) -> None:
    """Audit entries someone made in confidence about another person: a block, a report."""
    actor = await _person(chat, by)
    other = await _person(chat, about)
    async with chat.app.sessions.begin() as session:
        for action in ("block", "concern.report"):
            await repo.audit(
                session,
                workspace_id=actor.workspace_id,
                actor_id=actor.id,
                action=action,
                target="{0}",
                people=(other,),
                at=chat.clock.now(),
            )


def _texts(value: Any) -> list[str]:
    """Every string in a stored value, with files inside messages decoded."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        found = [t for v in value.values() for t in _texts(v)]
        data = value.get("data")
        if "media_type" in value and isinstance(data, str):
            found.append(base64.b64decode(data).decode("utf-8", "replace"))
        return found
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


async def _traces(chat: Chat, needles: tuple[str, ...]) -> list[str]:
    """Every table, every column, every row: where any of the needles still appears."""
    found = []
    async with chat.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    for text in _texts(value):
                        found += [
                            f"{table.name}.{column}: {needle}"
                            for needle in needles
                            if needle.lower() in text.lower()
                        ]
    return found


async def _figures(chat: Chat) -> dict[str, object]:
    """What the programme's reports count: these must survive anyone being forgotten."""
    async with chat.app.sessions() as session:
        return {
            "pairs": await session.scalar(select(func.count(Pair.id))),
            "meetings": await session.scalar(select(func.count(Meeting.id))),
            "check-in ratings": sorted((await session.scalars(select(CheckIn.rating))).all()),
            "pulse ratings": sorted((await session.scalars(select(PulseResponse.rating))).all()),
        }


def _button(message: Message, label: str) -> Button:
    found = next((b for b in message.buttons() if b.label == label), None)
    assert found is not None, f"no {label!r} button"
    return found


async def _press_as(chat: Chat, who: str, button: Button) -> list[Message]:
    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor(who), action=button.action, value=button.value)
    )
    await chat.dispatcher.drain()
    return replies


# -- my-data ---------------------------------------------------------------------------------


@pytest.mark.slow
async def test_my_data_is_a_json_file_of_her_own_data_and_nobody_elses(chat: NamedChat) -> None:
    await _mentoring(chat)
    await _concern(chat, reporter="ana", words=ANA_CONCERN)
    await _concern(chat, reporter="ben", words=BEN_CONCERN)
    await _confided(chat, by="ben", about="ana")

    replies = await chat.app.engine.handle(CommandSent(actor=chat.actor("ana"), text="my-data"))
    (reply,) = replies
    assert "Concerns that other people reported are not included" in reply.text
    assert "private notes" in reply.text
    (file,) = reply.attachments
    assert (file.name, file.media_type) == ("my-data.json", "application/json")
    text = file.data.decode("utf-8")
    data = json.loads(text)

    assert data["person"]["display_name"] == "Anastasia Quillfeather"
    assert data["person"]["email"] == PEOPLE["ana"][1]
    assert data["technical"]["conversation_reference_stored"] is False
    assert [e["goals"] for e in data["enrolments"]] == [ANA_GOALS]
    assert [r["role"] for r in data["roles"]] == ["executive"]
    assert [p["partner"] for p in data["pairs"]] == ["Benedikt Marchetti"]
    assert ANA_NOTE in [c["private_reflection"] for c in data["check_ins"]]
    assert ANA_QUOTE in [c["line_to_share"] for c in data["check_ins"]]
    assert [p["private_comment"] for p in data["pulse_responses"]] == [ANA_PULSE]
    assert [c["your_words"] for c in data["concerns_you_reported"]] == [ANA_CONCERN]
    assert [s["programme"] for s in data["digest_subscriptions"]] == ["buddies"]
    assert {"checkin", "pulse"} <= {p["kind"] for p in data["prompts"]}
    assert len(data["meetings"]) == 3
    actions = {a["action"] for a in data["audit_log"]}
    assert {"pair", "role.grant", "digest.subscribe"} <= actions
    assert not actions & {"block", "concern.report"}  # who blocked or reported her stays safe
    assert "introduction" in {m["kind"] for m in data["messages_to_you"]}
    datetime.fromisoformat(data["generated_at"])
    datetime.fromisoformat(data["check_ins"][0]["created_at"])

    for someone_elses in (BEN_NOTE, BEN_PULSE, BEN_CONCERN, PEOPLE["ben"][1]):
        assert someone_elses not in text


@pytest.mark.slow
async def test_his_copy_leaves_out_her_private_words(chat: NamedChat) -> None:
    await _mentoring(chat)
    replies = await chat.app.engine.handle(CommandSent(actor=chat.actor("ben"), text="my-data"))
    text = replies[0].attachments[0].data.decode("utf-8")
    assert BEN_NOTE in text and BEN_PULSE in text
    for hers in (ANA_NOTE, ANA_QUOTE, ANA_PULSE, ANA_GOALS, PEOPLE["ana"][1]):
        assert hers not in text


async def test_whoever_was_blocked_learns_from_their_copy_only_that_the_pairing_ended(
    chat: NamedChat,
) -> None:
    """Regression: the blocked person was told only that the pairing ended, but their
    my-data file said ``end_reason: blocked``. A copy holds what its reader may know."""
    await _mentoring(chat)
    await chat.say("ben", "block @ana")

    async def end_reason(handle: str) -> object:
        replies = await chat.app.engine.handle(
            CommandSent(actor=chat.actor(handle), text="my-data")
        )
        data = json.loads(replies[0].attachments[0].data.decode("utf-8"))
        [pair] = data["pairs"]
        return pair["end_reason"]

    assert await end_reason("ana") == "ended"
    assert await end_reason("ben") == "blocked"


# -- forget-me -------------------------------------------------------------------------------


@pytest.mark.slow
async def test_forget_me_asks_first_and_changes_nothing_until_she_confirms(
    chat: NamedChat,
) -> None:
    await _mentoring(chat)
    before = await chat.snapshot()
    reply = await chat.say("ana", "forget-me")
    assert "can't be undone" in reply
    confirm = chat.last("ana", "forget_confirm")
    assert _button(confirm, "Yes, delete my data").style == "danger"
    assert await chat.snapshot() == before

    assert "Nothing was deleted" in await chat.press("ana", "No, keep it", kind="forget_confirm")
    assert await chat.snapshot() == before


@pytest.mark.slow
async def test_nobody_can_press_her_button_for_her_not_even_a_coordinator(
    chat: NamedChat,
) -> None:
    await _mentoring(chat)
    await chat.say("ana", "forget-me")
    button = _button(chat.last("ana", "forget_confirm"), "Yes, delete my data")
    before = await chat.snapshot()
    for someone_else in ("maya", "ben"):
        (refusal,) = await _press_as(chat, someone_else, button)
        assert refusal.kind == "not_allowed"
        assert "Nobody can delete someone else's data" in refusal.text
        assert await chat.snapshot() == before
    keep = _button(chat.last("ana", "forget_confirm"), "No, keep it")
    assert (await _press_as(chat, "maya", keep))[0].kind == "not_allowed"
    assert await chat.snapshot() == before


@pytest.mark.slow
async def test_once_she_confirms_she_is_gone_from_every_table_and_the_figures_stay_true(
    chat: NamedChat,
) -> None:
    await _mentoring(chat)
    await _concern(chat, reporter="ana", words=ANA_CONCERN)
    await _teams_copies(chat)
    assert len(await _traces(chat, ANA_TRACES)) > 20  # she really is all over the database
    figures = await _figures(chat)
    ben_had = len(chat.inbox("ben"))
    maya_had = len(chat.inbox("maya"))

    await chat.say("ana", "forget-me")
    done = await chat.press("ana", "Yes, delete my data", kind="forget_confirm")
    assert done.startswith("Done. I've deleted your data")
    await chat.hours(48)  # let the notices reach people in their working hours

    assert await _traces(chat, ANA_TRACES) == []
    assert await _figures(chat) == figures
    async with chat.app.sessions() as session:
        placeholder = await session.scalar(select(Person).where(Person.forgotten_at.is_not(None)))
        assert placeholder is not None
        assert placeholder.display_name == PLACEHOLDER_NAME
        assert placeholder.platform_user_id.startswith("forgotten:")
        assert (placeholder.email, placeholder.conversation_ref) == (None, None)
        pair = await session.scalar(select(Pair))
        assert pair is not None and pair.status == PairStatus.ENDED
        concern = await session.scalar(select(Concern))
        assert concern is not None
        assert (concern.reporter_id, concern.description) == (None, ANA_CONCERN)
        (forgotten,) = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.forget"))
        ).all()
        assert (forgotten.before, forgotten.after, forgotten.programme_id) == (None, None, None)
        (read,) = await entries.named(session, [forgotten])
        assert read.target == PLACEHOLDER_NAME
        paired = await session.scalars(select(AuditEntry).where(AuditEntry.action == "pair"))
        # nothing was rewritten: the entry names people by id, read as they are now
        assert [e.target for e in paired.all()] == ["{0} + {1}"]
        mentions = await entries.named(
            session, await session.scalars(select(AuditEntry).where(AuditEntry.action == "pair"))
        )
        assert [m.target for m in mentions] == [f"{PLACEHOLDER_NAME} + Benedikt Marchetti"]
        waiting = await session.scalar(
            select(TeamsMessage.message).where(TeamsMessage.recipient == "maya")
        )
        assert waiting is None  # the export that listed her email is no longer on offer
        assert (
            await session.scalar(select(TeamsMessage).where(TeamsMessage.recipient == "ana"))
            is None
        )

    told = chat.inbox("ben")[ben_had:]
    assert [m.kind for m in told] == ["pairing_ended"]
    assert told[0].text == (
        "Your pairing in New-hire buddy has ended. It says nothing about you, and the "
        "programme team will be in touch about what comes next."
    )
    (coordinators,) = [m for m in chat.inbox("maya")[maya_had:] if m.kind != "digest"]
    assert coordinators.text.startswith("Benedikt Marchetti's pairing in New-hire buddy has ended")


@pytest.mark.slow
async def test_someone_forgotten_who_comes_back_is_someone_new(chat: NamedChat) -> None:
    await _mentoring(chat)
    await chat.say("ana", "forget-me")
    button = _button(chat.last("ana", "forget_confirm"), "Yes, delete my data")
    await chat.press("ana", "Yes, delete my data", kind="forget_confirm")

    assert "You're not in a programme yet" in await chat.say("ana", "status")
    (again,) = await _press_as(chat, "ana", button)
    assert "already done" in again.text
    async with chat.app.sessions() as session:
        people = (await session.scalars(select(Person).order_by(Person.id))).all()
    assert [p.display_name for p in people] == [
        "Maya",
        PLACEHOLDER_NAME,
        "Benedikt Marchetti",
        "Anastasia Quillfeather",
    ]
    assert people[-1].forgotten_at is None and people[-1].platform_user_id == "ana"


@pytest.mark.slow
async def test_a_concern_someone_else_reported_about_her_stays_as_a_safety_record(
    chat: NamedChat,
) -> None:
    await _mentoring(chat)
    await _concern(chat, reporter="ben", words=BEN_CONCERN)
    await chat.say("ana", "forget-me")
    await chat.press("ana", "Yes, delete my data", kind="forget_confirm")
    assert await _traces(chat, ("Quillfeather",)) == ["concerns.description: Quillfeather"]
    async with chat.app.sessions() as session:
        concern = await session.scalar(select(Concern))
    assert concern is not None and concern.reporter_id is not None


@pytest.mark.slow
async def test_her_own_blocks_go_but_others_protections_stay(chat: NamedChat) -> None:
    await _mentoring(chat)
    await chat.say("cleo", "help")
    ana, ben, cleo = [await _person(chat, who) for who in ("ana", "ben", "cleo")]
    entries = {
        "her block of him": (ana, ben, ana),
        "Cleo's block of her": (ana, cleo, cleo),
        "what she recorded as a coordinator": (ben, cleo, ana),
    }
    async with chat.app.sessions.begin() as session:
        for first, second, by in entries.values():
            session.add(
                DoNotPair(
                    workspace_id=ana.workspace_id,
                    first_id=min(first.id, second.id),
                    second_id=max(first.id, second.id),
                    source="blocked" if by in (first, second) else "coordinator",
                    created_by_id=by.id,
                    created_at=chat.clock.now(),
                )
            )
    await chat.say("ana", "forget-me")
    await chat.press("ana", "Yes, delete my data", kind="forget_confirm")
    async with chat.app.sessions() as session:
        left = (await session.execute(select(DoNotPair.created_by_id, DoNotPair.source))).all()
    assert sorted(left) == sorted([(cleo.id, "blocked"), (ana.id, "coordinator")])


async def test_a_proposal_that_included_her_is_withdrawn_so_it_can_never_be_published(
    chat: NamedChat,
) -> None:
    await chat.say("maya", "program create buddies --curriculum new-hire-buddy")
    await chat.say("maya", "program open buddies")
    await _join(chat, "ana", 'join buddies mentor --skills "python" --interests climbing')
    await _join(chat, "ben", "join buddies mentee --interests python")
    await chat.say("maya", "match buddies")
    await chat.say("ana", "forget-me")
    await chat.press("ana", "Yes, delete my data", kind="forget_confirm")
    assert "nothing to publish" in await chat.say("maya", "publish buddies")
    assert await _traces(chat, ANA_TRACES) == []


# -- retention -------------------------------------------------------------------------------


async def _free_text(chat: Chat, programme: str) -> dict[str, list[Any]]:
    """A programme's check-in and pulse ratings, and whatever free text they still hold."""
    async with chat.app.sessions() as session:
        pairs = select(Pair.id).join(Programme).where(Programme.key == programme)
        check_ins = (
            await session.execute(
                select(CheckIn.rating, CheckIn.reflection, CheckIn.shareable_quote)
                .where(CheckIn.pair_id.in_(pairs))
                .order_by(CheckIn.id)
            )
        ).all()
        pulses = (
            await session.execute(
                select(PulseResponse.rating, PulseResponse.comment)
                .where(PulseResponse.pair_id.in_(pairs))
                .order_by(PulseResponse.id)
            )
        ).all()
    return {
        "ratings": [r for r, _, _ in check_ins] + [r for r, _ in pulses],
        "text": [t for _, n, q in check_ins for t in (n, q) if t] + [c for _, c in pulses if c],
    }


async def _purge(chat: Chat, *, at: datetime) -> int:
    async with chat.app.sessions.begin() as session:
        return await purge_expired(
            session, now=at, retention_days=180, hooks=chat.app.engine.registry.personal_data
        )


async def _purge_session_words(chat: Chat, *, at: datetime) -> int:
    """Run the whole retention purge; return how many check-in and pulse texts it emptied
    (the outbox's purge of delivered messages runs too, and has its own test)."""
    hooks = chat.app.engine.registry.personal_data
    words = ("check_ins", "pulse_responses")
    async with chat.app.sessions.begin() as session:  # everything else first
        await purge_expired(
            session,
            now=at,
            retention_days=180,
            hooks=[h for h in hooks if h.name not in words],
        )
    async with chat.app.sessions.begin() as session:
        return await purge_expired(
            session,
            now=at,
            retention_days=180,
            hooks=[h for h in hooks if h.name in words],
        )


@pytest.mark.slow
async def test_free_text_is_deleted_retention_days_after_a_programme_closes(
    chat: NamedChat,
) -> None:
    await _mentoring(chat)
    await chat.say("maya", "program create career --curriculum cross-department-career")
    await chat.say("maya", "program open career")
    await _join(chat, "cleo", "join career mentor --skills data --department IT")
    await _join(chat, "dev", "join career mentee --interests data --department Sales")
    await chat.say("maya", "pair @cleo @dev career")
    await chat.say("cleo", "met")
    await chat.say("cleo", 'checkin 4 "career still open"')
    await chat.say("maya", "program close buddies")
    closed = chat.clock.now()
    buddies = await _free_text(chat, "buddies")
    career = await _free_text(chat, "career")
    assert sorted(map(str, buddies["text"])) == sorted(
        [ANA_NOTE, ANA_QUOTE, BEN_NOTE, ANA_PULSE, BEN_PULSE]
    )

    assert await _purge_session_words(chat, at=closed + timedelta(days=179)) == 0
    assert await _free_text(chat, "buddies") == buddies

    assert (
        await _purge_session_words(chat, at=closed + timedelta(days=181)) == 4
    )  # 2 check-ins, 2 pulses
    assert await _free_text(chat, "buddies") == {"ratings": buddies["ratings"], "text": []}
    assert (
        await _purge_session_words(chat, at=closed + timedelta(days=182)) == 0
    )  # every tick: once only

    assert await _purge_session_words(chat, at=closed + timedelta(days=3650)) == 0
    assert (
        await _free_text(chat, "career")
        == career
        == {"ratings": [4], "text": ["career still open"]}
    )


async def test_the_only_coordinator_is_warned_before_forgetting_herself(chat: NamedChat) -> None:
    await chat.say("maya", "help")
    assert "You're the only coordinator here" in await chat.say("maya", "forget-me")
    await chat.say("ben", "help")
    assert "is now a coordinator" in await chat.say("maya", "admin grant @ben coordinator")
    assert "only coordinator" not in await chat.say("maya", "forget-me")


async def test_copies_kept_for_teams_cards_and_files_go_after_two_weeks(chat: NamedChat) -> None:
    await chat.say("maya", "help")
    now = chat.clock.now()
    offered = Message(
        text="my-data.json",
        attachments=(Attachment(name="my-data.json", media_type="application/json", data=b"{}"),),
    )
    async with chat.app.sessions.begin() as session:
        space = await session.scalar(select(Workspace))
        assert space is not None
        for age in (1, 15):
            session.add(
                TeamsMessage(
                    workspace_id=space.id,
                    conversation_id="a:1",
                    activity_id=f"1:{age}",
                    recipient="29:maya",
                    message=offered.to_json(),
                    sent_at=now - timedelta(days=age),
                )
            )

    assert await _purge(chat, at=now) == 1

    async with chat.app.sessions() as session:
        kept = {row.activity_id: row.message for row in await session.scalars(select(TeamsMessage))}
    assert kept["1:15"] is None and kept["1:1"] == offered.to_json()
