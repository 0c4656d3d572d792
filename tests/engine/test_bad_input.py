"""Bad input gets a friendly reply with the right usage, and changes nothing at all."""

from __future__ import annotations

import pytest

from conversations.engine import SORRY
from conversations.events import ButtonPressed, FormSubmitted
from conversations.registry import Registry
from tests.support.harness import Chat, programme_with_pair

CASES = [
    ("ben", "frobnicate", "I didn't understand that. Type help to see what I can do"),
    ("ben", "mett", "Did you mean met?"),
    ("ben", "program", "Which one? program create"),
    ("maya", "pair @ana", "That's not quite how pair works.\nUsage: pair @mentor @mentee"),
    (
        "maya",
        "pair @ana @ben nowhere",
        "I can't find a programme called 'nowhere'. Programmes here: buddies.",
    ),
    ("maya", "program create Bad_Key! --curriculum new-hire-buddy", "A programme key is 2 to 40"),
    ("maya", "program create x2 --curriculum nope", "There's no curriculum called 'nope'"),
    ("maya", "program create x2", "Which curriculum? Choose one of: cross-department-career"),
    ("maya", "program create buddies --curriculum new-hire-buddy", "already a programme"),
    (
        "maya",
        'program create x3 --curriculum new-hire-buddy --cadence "whenever"',
        "'whenever' is not a duration I understand",
    ),
    ("maya", "program open buddies", "Nothing to change"),
    ("maya", "pair @ana @ana buddies", "can't be paired with themselves"),
    ("maya", "pair @ben @ana buddies", "Ben isn't enrolled in New-hire buddy as a mentor"),
    ("maya", "pair @ana @nobody buddies", "I don't know anyone called 'nobody' here yet"),
    ("maya", "pair @cleo @ben buddies", "Ben already has a mentor in New-hire buddy (Ana)"),
    ("maya", "enroll @ben buddies wizard", "'wizard' isn't a role here"),
    ("maya", "admin grant @ben overlord", "'overlord' isn't a role"),
    ("maya", "pair <@U1|x> buddies", "That's not quite how pair works"),
    (
        "ben",
        'checkin 4 "unclosed',
        "That's not quite how checkin works: words that belong together go between a pair "
        'of double quotes, one at each end, like "a good talk".\nUsage: checkin <1-5>',
    ),
    ("ben", "checkin 9", "Rate the session with a number from 1 (not useful) to 5"),
    ("ben", "checkin", "That's not quite how checkin works"),
    ("ben", "met maybe", "I can't find a programme called 'maybe'"),
    ("ben", "leave nowhere", "I can't find a programme called 'nowhere'"),
    ("dev", "join buddies mentee --capacity lots", "capacity must be a whole number"),
    ("dev", "join buddies mentee --timezone Mars/Olympus", "'Mars/Olympus' isn't a time zone"),
    ("dev", "join buddies mentee --shoe 9", "I don't know the option --shoe"),
    ("dev", "join buddies mentee --goals", "--goals needs a value after it."),
    ("dev", "join buddies wizard", "'wizard' isn't a role here"),
    (
        "dev",
        'join buddies mentee --skills "' + ", ".join(f"s{i}" for i in range(25)) + '"',
        "skills: list at most 20",
    ),
    ("dev", "x" * 5000, "That message is too long (5,000 characters)"),
    ("dev", "met", "You don't have a mentoring partner right now."),
    ("dev", "pause", "nothing to pause"),
    ("dev", "help nonsense", "There's no command called 'nonsense'"),
    ("ben", "pair @ana @ben buddies", "Only coordinators can use pair. Ask Maya if you need it"),
]


async def _setup(chat: Chat) -> None:
    await programme_with_pair(chat)
    await chat.say("cleo", "join buddies mentor")
    await chat.say("dev", "help")


@pytest.mark.parametrize(
    ("who", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES]
)
async def test_a_bad_command_is_answered_kindly_and_changes_nothing(
    chat: Chat, who: str, text: str, expected: str
) -> None:
    await _setup(chat)
    before = await chat.snapshot()
    outbox_before = len(chat.transport.received)
    reply = await chat.say(who, text)
    assert expected in reply
    assert "Traceback" not in reply
    assert await chat.snapshot() == before
    assert len(chat.transport.received) == outbox_before


VERBS = Registry.discover().verbs
COORDINATOR_VERBS = sorted(name for name, v in VERBS.items() if v.role == "coordinator")


@pytest.mark.parametrize("verb", COORDINATOR_VERBS)
async def test_every_coordinator_verb_is_refused_to_a_participant(chat: Chat, verb: str) -> None:
    await _setup(chat)
    before = await chat.snapshot()
    reply = await chat.say("ben", f"{verb} @ana buddies mentor")
    assert reply.startswith(f"Only coordinators can use {verb}. Ask Maya")
    assert await chat.snapshot() == before


async def test_another_workspaces_programme_cannot_be_seen_or_touched(chat: Chat) -> None:
    await _setup(chat)
    globex = chat.elsewhere("globex")
    await globex.say("zed", "help")  # zed sets the bot up in Globex: its coordinator
    before = await chat.snapshot()
    assert "I can't find a programme called 'buddies'" in await globex.say("zed", "status buddies")
    assert "I can't find a programme called 'buddies'" in await globex.say(
        "zed", "pair @ana @ben buddies"
    )
    assert "There are no programmes here yet" in await globex.say("zed", "programs")
    assert await chat.snapshot() == before


async def _press(
    chat: Chat, who: str, action: str, value: str, values: dict[str, str] | None = None
) -> str:
    event = (
        FormSubmitted(actor=chat.actor(who), action=action, value=value, values=values)
        if values is not None
        else ButtonPressed(actor=chat.actor(who), action=action, value=value)
    )
    replies = await chat.app.engine.handle(event)
    return "\n".join(r.text for r in replies)


BUTTONS = [
    ("ben", "meeting.log", "999:0:met", None, "belongs to someone else's pairing"),
    ("ben", "meeting.log", "garbage", None, "That button is out of date"),
    ("ben", "meeting.log", "1:x:met", None, "That button is out of date"),
    ("ben", "meeting.log", "1:0:danced", None, "That button is out of date"),
    ("ben", "meeting.log", "1:4:met", None, "belongs to a session that isn't open"),
    ("cleo", "meeting.log", "1:0:met", None, "belongs to someone else's pairing"),
    ("ben", "no.such.action", "", None, "That button is out of date"),
    ("ben", "checkin", "1:0", {"rating": "4"}, "Session 1 isn't logged as met yet"),
    ("ben", "join", "nowhere", {"side": "mentee"}, "I can't find a programme called 'nowhere'"),
    ("dev", "join", "buddies", {"side": ""}, "isn't a role here"),
    ("dev", "join", "buddies", {"side": "mentee", "goals": "g" * 1001}, "goals: keep it under"),
]


@pytest.mark.parametrize(
    ("who", "action", "value", "values", "expected"),
    BUTTONS,
    ids=[f"{b[1]}:{b[2]}" for b in BUTTONS],
)
async def test_a_stale_forged_or_foreign_button_changes_nothing(
    chat: Chat, who: str, action: str, value: str, values: dict[str, str] | None, expected: str
) -> None:
    await _setup(chat)
    before = await chat.snapshot()
    assert expected in await _press(chat, who, action, value, values)
    assert await chat.snapshot() == before


async def test_a_bad_checkin_form_changes_nothing(chat: Chat) -> None:
    await _setup(chat)
    await chat.say("ben", "met")
    before = await chat.snapshot()
    assert "Rate the session" in await chat.submit("ben", {"rating": ""}, kind="checkin")
    assert "under 2,000" in await chat.submit(
        "ben", {"rating": "4", "reflection": "x" * 2001}, kind="checkin"
    )
    assert await chat.snapshot() == before


async def test_our_own_failure_apologises_without_a_stack_trace_and_rolls_back(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await _setup(chat)
    verbs = chat.app.engine.registry.verbs
    original = verbs["pair"]

    async def broken(ctx: object, args: object) -> list[object]:
        await original.handler(ctx, args)  # type: ignore[arg-type]
        raise RuntimeError("database fell over mid-way")

    monkeypatch.setitem(
        verbs,
        "pair",
        original.__class__(
            **{**{f: getattr(original, f) for f in original.__slots__}, "handler": broken}
        ),
    )
    await chat.say("cleo", "join buddies mentor")
    await chat.say("dev", "join buddies mentee")
    before = await chat.snapshot()
    reply = await chat.say("maya", "pair @cleo @dev buddies")
    assert reply == SORRY
    assert "database fell over" in caplog.text  # logged for us, with context
    assert await chat.snapshot() == before
    assert chat.kinds("dev") == []
