"""Reporting a concern: private to the people entitled to read it, acted on in one press,
never lost at night, and never a word to the partner.

The cast: Maya coordinates and Eve joins her as a coordinator; Dev and then Cleo are made
safeguarding contacts, a minute apart; Ana mentors Ben in New-hire buddy.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlalchemy import select

from adapters.slack import blocks as slack
from adapters.teams.cards import adaptive_card, submitted
from conversations import cards
from conversations.events import ButtonPressed, FormSubmitted
from conversations.features.concerns import cards as concern_cards
from conversations.features.concerns.concerns import Step, escalate_due, take
from conversations.messages import Message
from storage.models import AuditEntry, Concern, OutboxMessage, Pair, PairStatus, Person
from tests.support.cards import assert_slack_accepts, assert_teams_accepts, elements, press
from tests.support.harness import Chat, programme_with_pair

WORDS = "At our last meeting he asked me to keep our chats secret from my manager."
CONTACTS = ["dev", "cleo", "maya", "eve"]
"""Everyone a concern about Ana and Ben goes to, in escalation order: safeguarding contacts
by when they were named (Dev first, though Cleo spoke to the bot first), then coordinators."""


async def _team(chat: Chat) -> None:
    await programme_with_pair(chat)
    for handle in ("cleo", "dev", "eve"):
        await chat.say(handle, "help")  # known, in their own time zones
    for handle, role in (("dev", "safeguarding"), ("cleo", "safeguarding"), ("eve", "coordinator")):
        chat.clock.advance(timedelta(minutes=1))
        granted = await chat.say("maya", f"admin grant <@{handle}|{handle.title()}> {role}")
        assert granted.startswith(f"{handle.title()} is now"), granted


async def _report(
    chat: Chat,
    who: str = "ben",
    *,
    urgent: bool = False,
    words: str = WORDS,
    kind: str = "introduction",
) -> str:
    """Press "Report a concern" on a message of this kind, fill in the form and send it."""
    form = await chat.press(who, "Report a concern", kind=kind)
    assert "Only the programme's safeguarding contacts and coordinators will read" in form
    return await chat.submit(
        who,
        {"category": "safety", "urgent": "yes" if urgent else "no", "description": words},
        kind="concern_form",
    )


async def _concerns(chat: Chat) -> list[Concern]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(Concern).order_by(Concern.id)))


async def _rows(chat: Chat, kind: str) -> list[OutboxMessage]:
    async with chat.app.sessions() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
        return list(found)


async def _audit(chat: Chat) -> list[AuditEntry]:
    async with chat.app.sessions() as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.startswith("concern"))
            .order_by(AuditEntry.id)
        )
        return list(found)


async def _escalate(chat: Chat) -> int:
    """What the planner tick will do: escalate what is due, then deliver."""
    async with chat.app.sessions.begin() as session:
        queued = await escalate_due(
            session,
            now=chat.clock.now(),
            minutes=chat.app.engine.settings.concern_escalation_minutes,
        )
    await chat.dispatcher.drain()
    return queued


def _delivered(chat: Chat, kind: str) -> list[tuple[datetime, str]]:
    return [(at, who) for at, who, k in chat.transport.log if k == kind]


# --- reporting ---------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_report_from_a_pair_message_reaches_every_contact_and_never_the_partner(
    chat: Chat,
) -> None:
    await _team(chat)
    intro = chat.last("ben", "introduction")
    report = next(b for b in intro.buttons() if b.label == "Report a concern")
    # Opens the form without answering the shared message, so Ana's copy is untouched.
    assert report.action == cards.OPEN_FORM
    assert [b.label for b in intro.buttons()][:3] == ["We met", "Not yet", "Rescheduled"]
    ana_before = chat.kinds("ana")

    thanks = await _report(chat)

    assert thanks == (
        "Thank you. Dev, Cleo and 2 others will look at this; your partner is not told."
    )
    await chat.hours(20)  # not urgent: each contact gets it in their own working hours
    for handle in CONTACTS:
        assert chat.kinds(handle, only=("concern",)) == ["concern"], handle
    card = chat.last("cleo", "concern")
    assert card.card is not None
    shown = "\n".join(s.text for s in card.card.sections)
    fields = {f.label: f.value for s in card.card.sections for f in s.fields}
    assert WORDS in shown  # the people entitled to read it do
    assert WORDS not in card.text  # but not on a lock screen
    assert fields["Kind"] == "Safety or wellbeing"
    assert fields["Someone needs help now"] == "No"
    assert fields["About"] == "Ana (mentor) and Ben (mentee)"
    assert fields["Programme"] == "New-hire buddy"
    assert fields["Reported by"] == "Ben"
    assert [b.label for b in card.buttons()] == ["Acknowledge", "Pause the pair", "Resolve"]
    # Ana hears nothing at all, and nothing waits for her or the pair.
    assert chat.kinds("ana") == ana_before
    rows = await _rows(chat, "concern")
    assert len(rows) == 4 and all(r.pair_id is None for r in rows)
    assert {r.timing for r in rows} == {"working"}
    [concern] = await _concerns(chat)
    assert (concern.status, concern.category, concern.urgent) == ("open", "safety", False)
    assert concern.description == WORDS and concern.escalate_at is None
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None
    assert (concern.pair_id, concern.programme_id) == (pair.id, pair.programme_id)


@pytest.mark.slow
async def test_a_coordinator_in_the_pair_never_sees_the_concern(chat: Chat) -> None:
    await _team(chat)
    await chat.say("maya", "admin grant <@ana|Ana> coordinator")
    await _report(chat)
    assert chat.kinds("ana", only=("concern",)) == []
    [concern] = await _concerns(chat)
    assert "#" + str(concern.id) in await chat.say("maya", "concerns")
    before = await chat.snapshot()
    assert await chat.say("ana", "concerns") == "No concerns are open."
    assert await chat.say("ana", f"concern {concern.id}") == f"I can't find concern #{concern.id}."
    pressed = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("ana"), action="concern.acknowledge", value=str(concern.id))
    )
    assert [m.text for m in pressed] == [f"I can't find concern #{concern.id}."]
    assert await chat.snapshot() == before


async def test_an_urgent_report_goes_out_at_once_even_at_night_on_a_quiet_day(
    chat: Chat,
) -> None:
    await _team(chat)
    assert "2026-03-03" in await chat.say("maya", "quiet add 2026-03-03")
    # Tuesday 04:00 UTC: night in Toronto, Vancouver and London; a quiet day in Kolkata.
    chat.clock.advance(datetime(2026, 3, 3, 4, 0, tzinfo=UTC) - chat.clock.now())
    now = chat.clock.now()

    await _report(chat, words="Not urgent, but worth knowing.")
    assert _delivered(chat, "concern") == []  # waits for working hours
    thanks = await _report(chat, urgent=True)
    assert "If someone is in danger right now, please also call" in thanks

    assert sorted(_delivered(chat, "concern")) == sorted((now, h) for h in CONTACTS)
    calm, urgent = (await _concerns(chat))[0], (await _concerns(chat))[1]
    timings = {(r.idempotency_key.split(":")[1], r.timing) for r in await _rows(chat, "concern")}
    assert timings == {(str(calm.id), "working"), (str(urgent.id), "now")}
    header = chat.last("eve", "concern").card
    assert header is not None and header.header == "Urgent concern reported"
    assert urgent.escalate_at == now + timedelta(minutes=15)


async def test_the_report_verb_finds_the_pair_or_asks_for_the_programme(chat: Chat) -> None:
    await _team(chat)
    assert "about your pairing with Ana in New-hire buddy" in await chat.say("ben", "report")
    assert "about your pairing with Ana" in await chat.say("ben", "report buddies")
    # Dev has no pair and there is one programme: the report is about it.
    assert "about New-hire buddy" in await chat.say("dev", "report")
    await chat.say("maya", "program create career --curriculum cross-department-career")
    assert await chat.say("dev", "report") == (
        "Which programme is it about? Type report and its name: buddies, career.\n"
        "Usage: report [@partner] [program]"
    )
    form = await chat.say("dev", "report career")
    assert "nobody else is told" in form
    said = await chat.submit(
        "dev",
        {"category": "other", "urgent": "no", "description": "The kickoff felt exclusionary."},
        kind="concern_form",
    )
    assert said == "Thank you. Cleo, Maya and Eve will look at this; nobody else is told."
    card = chat.last("maya", "concern")
    fields = {f.label: f.value for s in (card.card.sections if card.card else ()) for f in s.fields}
    assert fields["About"] == "the programme in general"
    assert fields["Programme"] == "Cross-department career mentoring"
    assert [b.label for b in card.buttons()] == ["Acknowledge", "Resolve"]
    # Nobody in the programme's pairs is told either.
    assert chat.kinds("ana", only=("concern",)) == chat.kinds("ben", only=("concern",)) == []


async def test_the_same_report_sent_twice_is_one_concern(chat: Chat) -> None:
    await _team(chat)
    await _report(chat)
    again = await chat.submit(
        "ben", {"category": "safety", "urgent": "no", "description": WORDS}, kind="concern_form"
    )
    assert again.startswith("You've already sent this, and it's with them.")
    assert len(await _concerns(chat)) == 1
    assert chat.kinds("maya", only=("concern",)) == ["concern"]


@pytest.mark.slow
async def test_the_home_screen_offers_a_private_report(chat: Chat) -> None:
    await _team(chat)
    await chat.say("dev", "join buddies mentee")
    for handle, expected in (("ben", "pair:"), ("dev", "programme:")):
        home = await chat.app.engine.home(chat.actor(handle))
        offer = next(m for m in home if m.kind == "concern_offer")
        (button,) = offer.buttons()
        assert button.label == "Report a concern" and button.action == cards.OPEN_FORM
        assert json.loads(button.value)["v"].startswith(expected)
    eve = await chat.app.engine.home(chat.actor("eve"))
    assert "concern_offer" not in [m.kind for m in eve]  # in no programme: report still works


# --- acting on it ------------------------------------------------------------------------


async def test_acknowledge_pause_and_resolve_each_move_it_on_once_and_are_audited(
    chat: Chat,
) -> None:
    await _team(chat)
    await _report(chat, urgent=True)
    [concern] = await _concerns(chat)

    said = await chat.press("cleo", "Acknowledge", kind="concern")
    assert said.startswith(f"Thank you for taking concern #{concern.id}.")
    [concern] = await _concerns(chat)
    assert concern.status == "acknowledged" and concern.escalate_at is None

    ana_before, ben_before = chat.kinds("ana"), chat.kinds("ben")
    paused = await chat.press("dev", "Pause the pair", kind="concern")
    assert paused.startswith("Paused Ana and Ben in New-hire buddy.")
    async with chat.app.sessions() as session:
        pair = await session.scalar(select(Pair))
    assert pair is not None
    assert (pair.status, pair.paused_by) == (PairStatus.PAUSED, "programme team")
    assert pair.next_agenda_at is None
    await chat.say("ben", "resume")  # the team's hold is not the participants' to lift
    async with chat.app.sessions() as session:
        assert await session.scalar(select(Pair.status)) == PairStatus.PAUSED
    for handle, before, partner in (("ana", ana_before, "Ben"), ("ben", ben_before, "Ana")):
        assert chat.kinds(handle) == [*before, "paused_by_team"]
        told = chat.last(handle, "paused_by_team")
        assert told.text == (
            f"Your pairing with {partner} in New-hire buddy is paused by the programme team."
        )
        assert told.card is None

    assert await chat.press("maya", "Resolve", kind="concern") == (
        f"Concern #{concern.id} is resolved. Thank you."
    )
    [concern] = await _concerns(chat)
    assert concern.status == "resolved"

    entries = await _audit(chat)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("concern.acknowledge", {"status": "open"}, {"status": "acknowledged"}),
        (
            "concern.pause",
            {"pair": "active"},
            {"pair": "paused", "paused by": "programme team"},
        ),
        ("concern.resolve", {"status": "acknowledged"}, {"status": "resolved"}),
    ]
    assert {e.target for e in entries} == {f"concern #{concern.id}"}
    assert not any(WORDS in json.dumps([e.target, e.before, e.after]) for e in entries)

    # A button on a concern that has moved on says so, and nothing changes.
    unchanged = await chat.snapshot()
    late = await chat.press("eve", "Acknowledge", kind="concern")
    assert late.startswith(f"Concern #{concern.id} was already resolved by Maya at ")
    assert late.endswith("so nothing has changed.")
    assert "already resolved" in await chat.press("dev", "Resolve", kind="concern")
    assert "already resolved" in await chat.press("eve", "Pause the pair", kind="concern")
    assert await chat.snapshot() == unchanged


async def test_two_contacts_pressing_at_once_move_it_on_once(chat: Chat) -> None:
    await _team(chat)
    await _report(chat)
    async with chat.app.sessions() as cleos:
        seen = await cleos.scalar(select(Concern))  # Cleo's press has read it as open...
        cleo = await cleos.scalar(select(Person).where(Person.platform_user_id == "cleo"))
        assert seen is not None and seen.status == "open" and cleo is not None
        await chat.press("maya", "Acknowledge", kind="concern")  # ...when Maya's lands
        assert not await take(cleos, seen, Step.ACKNOWLEDGE, by=cleo, now=chat.clock.now())
        assert seen.status == "acknowledged" and seen.acknowledged_by_id != cleo.id
        await cleos.commit()
    assert [e.action for e in await _audit(chat)] == ["concern.acknowledge"]


async def test_pausing_an_open_concern_acknowledges_it_too(chat: Chat) -> None:
    await _team(chat)
    await _report(chat)  # Monday afternoon: in Maya's and Cleo's working hours
    await chat.press("maya", "Pause the pair", kind="concern")
    [concern] = await _concerns(chat)
    assert concern.status == "acknowledged"
    assert [e.action for e in await _audit(chat)] == ["concern.acknowledge", "concern.pause"]
    before = await chat.snapshot()
    again = await chat.press("cleo", "Pause the pair", kind="concern")
    assert again == (
        "Ana and Ben are already paused by the programme team, so there was nothing to pause. "
        "Nothing has changed."
    )
    assert await chat.snapshot() == before


@pytest.mark.slow
async def test_a_participant_pressing_acknowledge_is_refused_and_nothing_changes(
    chat: Chat,
) -> None:
    await _team(chat)
    await _report(chat)
    [concern] = await _concerns(chat)
    before = await chat.snapshot()
    for handle in ("ben", "ana"):
        for name in ("concern.acknowledge", "concern.pause", "concern.resolve"):
            replies = await chat.app.engine.handle(
                ButtonPressed(actor=chat.actor(handle), action=name, value=str(concern.id))
            )
            assert [m.kind for m in replies] == ["not_allowed"]
            assert replies[0].text.startswith("Only the programme's safeguarding contacts")
        assert (await chat.say(handle, f"concern {concern.id}")).startswith("Only the programme")
        assert (await chat.say(handle, "concerns")).startswith("Only the programme's safeg")
    assert await chat.snapshot() == before


async def test_contacts_list_concerns_without_their_words(chat: Chat) -> None:
    await _team(chat)
    await _report(chat, urgent=True)
    chat.clock.advance(timedelta(hours=3))
    await _report(chat, words="Second thing.")
    first, second = await _concerns(chat)
    await chat.press("maya", "Resolve", kind="concern")  # Maya's newest card: the second
    listed = await chat.say("eve", "concerns")
    assert listed == (
        "Concerns not yet resolved:\n"
        f"• #{first.id} · Safety or wellbeing · urgent · open · 3 hours ago · buddies\n"
        "Type concern <id> to read one."
    )
    assert await chat.say("cleo", "concerns") == listed  # safeguarding contacts too
    everything = await chat.say("eve", "concerns all")
    assert f"#{second.id} · Safety or wellbeing · not urgent · resolved · just now" in everything
    assert WORDS not in everything and "Second thing" not in everything
    await chat.say("cleo", f"concern {second.id}")
    detail = chat.last("cleo", "concern_detail")
    assert detail.card is not None
    text = "\n".join(s.text for s in detail.card.sections)
    assert "Second thing." in text and "• Resolved by Maya at " in text
    assert detail.buttons() == ()


# --- escalation --------------------------------------------------------------------------


async def test_an_escalation_long_after_the_report_says_how_long_in_weeks_not_minutes(
    chat: Chat,
) -> None:
    """The bot was down for a month: the first escalation must not say "43200 minutes"."""
    await _team(chat)
    await _report(chat, urgent=True)
    chat.clock.advance(timedelta(days=30))
    assert await _escalate(chat) == 1
    nudge = chat.last("dev", "concern_escalation")
    assert nudge.text.startswith("Still not acknowledged after 4 weeks"), nudge.text
    assert "minutes" not in nudge.text


async def test_an_unacknowledged_urgent_concern_escalates_until_someone_takes_it(
    chat: Chat,
) -> None:
    await _team(chat)
    await _report(chat, urgent=True)
    start = chat.clock.now()

    chat.clock.advance(timedelta(minutes=14))
    assert await _escalate(chat) == 0
    chat.clock.advance(timedelta(minutes=1))
    assert await _escalate(chat) == 1
    assert await _escalate(chat) == 0  # claimed once, however often the tick runs
    assert _delivered(chat, "concern_escalation") == [(start + timedelta(minutes=15), "dev")]
    nudge = chat.last("dev", "concern_escalation")
    assert nudge.text.startswith("Still not acknowledged after 15 minutes")
    assert [b.label for b in nudge.buttons()] == ["Acknowledge", "Pause the pair", "Resolve"]

    chat.clock.advance(timedelta(minutes=15))
    assert await _escalate(chat) == 1
    assert _delivered(chat, "concern_escalation")[-1] == (start + timedelta(minutes=30), "cleo")
    assert chat.last("cleo", "concern_escalation").text.startswith(
        "Still not acknowledged after 30 minutes"
    )
    rows = await _rows(chat, "concern_escalation")
    assert [r.timing for r in rows] == ["now", "now"]

    await chat.press("cleo", "Acknowledge", kind="concern_escalation")
    chat.clock.advance(timedelta(hours=2))
    assert await _escalate(chat) == 0
    [concern] = await _concerns(chat)
    assert (concern.status, concern.escalation_level, concern.escalate_at) == (
        "acknowledged",
        2,
        None,
    )
    assert len(_delivered(chat, "concern_escalation")) == 2
    assert "ana" not in [who for _, who in _delivered(chat, "concern_escalation")]


async def test_a_concern_that_is_not_urgent_never_escalates(chat: Chat) -> None:
    await _team(chat)
    await _report(chat)
    for _ in range(4):
        chat.clock.advance(timedelta(minutes=15))
        assert await _escalate(chat) == 0
    [concern] = await _concerns(chat)
    assert (concern.status, concern.escalation_level, concern.escalate_at) == ("open", 0, None)
    assert await _rows(chat, "concern_escalation") == []


# --- bad input ---------------------------------------------------------------------------

GOOD = {"category": "safety", "urgent": "no", "description": WORDS}
REPORTS = [
    ("ben", "pair:1", {**GOOD, "description": ""}, "Tell us what happened"),
    ("ben", "pair:1", {**GOOD, "description": "  \n  "}, "Tell us what happened"),
    ("ben", "pair:1", {**GOOD, "description": "x" * 5000}, "4,000 characters; it has 5,000"),
    ("ben", "pair:1", {**GOOD, "category": "gossip"}, "Choose what the concern is about"),
    ("ben", "pair:1", {**GOOD, "urgent": "maybe"}, "yes or no"),
    ("cleo", "pair:1", GOOD, "That button is out of date"),
    ("ben", "pair:999", GOOD, "That button is out of date"),
    ("ben", "programme:999", GOOD, "That button is out of date"),
    ("ben", "garbage", GOOD, "That button is out of date"),
    ("ben", "pair:99999999999999999999", GOOD, "That button is out of date"),
]


@pytest.mark.parametrize(
    ("who", "value", "values", "expected"), REPORTS, ids=[f"{r[0]}:{r[1]}" for r in REPORTS]
)
async def test_a_bad_report_is_refused_kindly_and_nothing_is_stored(
    chat: Chat, who: str, value: str, values: dict[str, str], expected: str
) -> None:
    await _team(chat)
    before = await chat.snapshot()
    replies = await chat.app.engine.handle(
        FormSubmitted(
            actor=chat.actor(who), action=concern_cards.REPORT_CONCERN, value=value, values=values
        )
    )
    assert [m.kind for m in replies] == ["error"]
    assert expected in replies[0].text
    assert await chat.snapshot() == before
    assert await _concerns(chat) == []


PRESSES = [
    ("concern.acknowledge", "999", "I can't find concern #999."),
    ("concern.resolve", "abc", "That button is out of date"),
    ("concern.pause", "12345678901234", "That button is out of date"),
    (cards.OPEN_FORM, "not json", "That button is out of date"),
    (cards.OPEN_FORM, '{"a":"concern.report","v":"pair:999"}', "That button is out of date"),
    (cards.OPEN_FORM, '{"a":"no.such.form","v":"1"}', "That button is out of date"),
]


@pytest.mark.parametrize(("name", "value", "expected"), PRESSES, ids=[p[0] for p in PRESSES])
async def test_a_forged_concern_button_changes_nothing(
    chat: Chat, name: str, value: str, expected: str
) -> None:
    await _team(chat)
    await _report(chat)
    before = await chat.snapshot()
    replies = await chat.app.engine.handle(
        ButtonPressed(actor=chat.actor("maya"), action=name, value=value)
    )
    assert expected in "\n".join(m.text for m in replies)
    assert await chat.snapshot() == before


async def test_another_workspace_cannot_touch_a_concern(chat: Chat) -> None:
    await _team(chat)
    await _report(chat)
    [concern] = await _concerns(chat)
    globex = chat.elsewhere("globex")
    await globex.say("zed", "help")  # Globex's own coordinator
    before = await chat.snapshot()
    for name in ("concern.acknowledge", "concern.pause", "concern.resolve"):
        replies = await chat.app.engine.handle(
            ButtonPressed(actor=globex.actor("zed"), action=name, value=str(concern.id))
        )
        assert [m.text for m in replies] == [f"I can't find concern #{concern.id}."]
    assert await globex.say("zed", f"concern {concern.id}") == (
        f"I can't find concern #{concern.id}."
    )
    assert await globex.say("zed", "concerns all") == "No concerns have been reported."
    assert await chat.snapshot() == before


async def test_bad_concern_commands_are_answered_kindly(chat: Chat) -> None:
    await _team(chat)
    before = await chat.snapshot()
    assert "I can't find a programme called 'nowhere'" in await chat.say("ben", "report nowhere")
    assert await chat.say("maya", "concerns maybe") == (
        "'maybe' isn't open or all.\nUsage: concerns [open|all]"
    )
    assert "'abc' isn't a concern number" in await chat.say("maya", "concern abc")
    assert "That's not quite how concern works" in await chat.say("maya", "concern")
    assert await chat.snapshot() == before


# --- every platform ----------------------------------------------------------------------


async def _everything(chat: Chat) -> dict[str, Message]:
    """One of each message a concern produces, the contact card with the longest words."""
    await _team(chat)
    longest = ("Line <one> & *bold* <!channel>\n" * 200)[:4000]
    await _report(chat, urgent=True, words=longest)
    await chat.say("cleo", "concern 1")
    await chat.say("maya", "concerns all")
    chat.clock.advance(timedelta(minutes=15))
    await _escalate(chat)
    home = await chat.app.engine.home(chat.actor("ben"))
    return {
        "introduction": chat.last("ben", "introduction"),
        "concern_form": chat.last("ben", "concern_form"),
        "concern": chat.last("maya", "concern"),
        "concern_escalation": chat.last("dev", "concern_escalation"),
        "concern_detail": chat.last("cleo", "concern_detail"),
        "concern_list": chat.last("maya", "concern_list"),
        "concern_offer": next(m for m in home if m.kind == "concern_offer"),
    }


async def test_every_concern_message_is_block_kit_slack_accepts(chat: Chat) -> None:
    messages = await _everything(chat)
    for message in messages.values():
        assert_slack_accepts(slack.message_blocks(message), most=50)
    form = messages["concern_form"]
    view = slack.form_view(form, private_metadata=slack.form_metadata(form))
    View(**view).validate_json()
    assert_slack_accepts(view["blocks"], most=100)
    assert len(view["title"]["text"]) <= 24 and view["submit"]["text"] == "Send report"
    assert slack.decode_form(view["private_metadata"]) == (concern_cards.REPORT_CONCERN, "pair:1")
    # The pair message's button opens the modal itself: Slack never marks the shared
    # message as answered, so the partner sees nothing.
    (report,) = [
        e
        for e in elements(slack.message_blocks(messages["introduction"]))
        if e["text"]["text"] == "Report a concern"
    ]
    assert slack.is_form_open(report["action_id"])
    assert slack.decode_form(report["value"]) == (concern_cards.REPORT_CONCERN, "pair:1")
    card = slack.message_blocks(messages["concern"])
    texts = "\n".join(b["text"]["text"] for b in card if b["type"] == "section" and "text" in b)
    assert "&lt;!channel&gt;" in texts and "<!channel>" not in texts


async def test_every_concern_message_is_an_adaptive_card_teams_accepts(chat: Chat) -> None:
    messages = await _everything(chat)
    for message in messages.values():
        assert_teams_accepts(adaptive_card(message))
    form = messages["concern_form"]
    card: dict[str, Any] = adaptive_card(form)
    values = {"category": "behaviour", "urgent": "yes", "description": "x"}
    assert submitted(press(card, "Send report", values)) == (
        concern_cards.REPORT_CONCERN,
        "pair:1",
        values,
    )
    intro = adaptive_card(messages["introduction"])
    action, value, _ = submitted(press(intro, "Report a concern", {})) or ("", "", {})
    assert action == cards.OPEN_FORM  # Teams opens the form from this, as Slack does
    assert json.loads(value) == {"a": concern_cards.REPORT_CONCERN, "v": "pair:1"}
