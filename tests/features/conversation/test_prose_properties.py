"""Properties of prose: whatever a person writes that is not a command, the bot never
answers with a grammar error, and changes nothing except through the documented reply
paths (a reply to a coordinator's nudge is passed on, and the nudge noted as answered)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conversations.events import CommandSent
from conversations.registry import Registry
from storage.models import OutboxMessage
from tests.support.harness import Chat, programme_with_pair
from tests.support.talking import GRAMMAR_ERRORS, stalled_and_nudged

PROSE = [
    "I don't know what to do next",
    "what's the plan for this week?",
    "Ben's not answering my messages",
    "it’s been a busy week, sorry",
    "We’re fine, thanks for asking",
    "“quoted” words in curly quotes",
    "a lone “curly quote",
    "an unbalanced 'single quote",
    'an unbalanced "double quote',
    "the mentees' goals aren't clear",
    "O'Brien's team can't make it",
    "rock 'n' roll",
    "hmm...",
    "???",
    "!!!",
    "🙂",
    "👍👍",
    "🎉 we're back on track",
    "can you remind me what session 3 is about?",
    "is there a way to change my mentor?",
    "who's my coordinator?",
    "when's the next session",
    "I'd like to talk to someone",
    "I've been ill, that's why",
    "we'll meet on Thursday at 3pm",
    "could we move it to next week?",
    "Thursday works for me",
    "nothing to report",
    "not sure what you mean",
    "maybe later",
    "sounds good",
    "ok",
    "okay 👌",
    "sure thing!",
    "lol",
    "I'm on holiday until the 14th",
    "she's out of office",
    "they've changed teams",
    "my manager's asked me to step back",
    "how do I log a meeting?",
    "where's my agenda?",
    "what does 'cadence' mean?",
    'what does "stalled" mean?',
    "it's 50/50 whether we'll manage",
    "5 stars",
    "10/10 would recommend",
    "-- dashes at the start",
    "--not-an-option here",
    "back\\slash at the end\\",
    "tab\tseparated\twords",
    "line one\nline two",
    "   leading and trailing spaces   ",
    "ÇA VA? très bien, merci",
    "日本語のメッセージ",
    "مرحبا",
    "😀😃😄😁😆😅😂🤣",
    "a" * 300,
    "“smart” ‘quotes’ everywhere’s",
    "I can’t — honestly — tell",
    "we didn't get round to it, it's been chaos",
]


def _first_word_is_no_verb(text: str, registry: Registry) -> bool:
    words = text.split()
    if not words:
        return True
    found, _ = registry.find([w.strip("\"'“”‘’?!.,") for w in words])
    return found is None


def test_the_prose_is_varied_and_none_of_it_starts_with_a_command() -> None:
    registry = Registry.discover()
    assert len(PROSE) >= 50
    assert all(_first_word_is_no_verb(text, registry) for text in PROSE)


async def _say(chat: Chat, who: str, text: str) -> list[str]:
    replies = await chat.app.engine.handle(
        CommandSent(actor=chat.actor(who), text=text, direct=True)
    )
    await chat.dispatcher.drain()
    for reply in replies:
        assert not any(error in reply.text for error in GRAMMAR_ERRORS), (text, reply.text)
        assert reply.kind != "error", (text, reply.text)
        assert "Traceback" not in reply.text
    return [reply.text for reply in replies]


async def test_prose_with_no_open_question_changes_nothing_and_is_never_a_grammar_error(
    chat: Chat,
) -> None:
    await programme_with_pair(chat)
    before = await chat.snapshot()
    for text in PROSE:
        for who in ("ben", "maya"):
            said = await _say(chat, who, text)
            assert said, text
    assert await chat.snapshot() == before


async def test_prose_after_a_nudge_only_passes_replies_on_and_notes_the_answer(
    chat: Chat,
) -> None:
    await stalled_and_nudged(chat)
    before = await chat.snapshot()
    for text in PROSE:
        said = await _say(chat, "ben", text)
        assert said, text
    after = await chat.snapshot()
    changed = {table for table in before if before[table] != after[table]}
    assert changed <= {"outbox", "outbox_mentions", "prompts"}, changed
    async with chat.app.sessions() as session:
        new = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id > _last_id(before["outbox"]))
            )
        ).all()
    assert new and {row.kind for row in new} == {"pair_reply"}
    changed_prompts = [
        (old, now)
        for old, now in zip(before["prompts"], after["prompts"], strict=True)
        if old != now
    ]
    assert changed_prompts  # Ben's nudge is noted as answered, and nothing else about it
    for old, now in changed_prompts:
        assert _without_answered_at(old) == _without_answered_at(now)


def _last_id(rows: list[tuple[Any, ...]]) -> int:
    return max((int(row[0]) for row in rows), default=0)


def _without_answered_at(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # prompts: id, pair_id, person_id, kind, ref_index, asked_at, answered_at, …
    return row[:6] + row[7:]
