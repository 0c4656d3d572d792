"""What words that name no command get: conversation, never a grammar error.

- A greeting ("hi", "thanks", "good morning") gets a short pointer to ``help`` and
  ``status``, wherever it is written.
- In a private chat with the bot, words from someone a question is waiting on are the
  answer (:mod:`.answers`); when several pairings are waiting, they are asked which.
- Anything else in a private chat gets a kind "I didn't understand that", with the
  closest commands this person may use.
- In a channel or a slash command, anything else is left to the engine, which answers
  as it always has ("I don't know the command …").
"""

from __future__ import annotations

import difflib

from conversations.context import Context, Reply
from conversations.features.conversation import answers, words
from conversations.features.conversation.questions import waiting
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import FreeText, free_text

CLOSE_ENOUGH = 0.75
"""How alike a word must be to a command's name to be offered as "did you mean"."""
LIKE_A_COMMAND = 3
"""Only a message this short may be a mistyped command; a longer one is prose."""
POINTER = "Type help to see what I can do, or status to see where you are."


@free_text
async def conversation(ctx: Context, said: FreeText) -> Reply | None:
    greeted = words.greeting(said.text)
    if greeted is not None:
        return [_greeting(ctx, greeted)]
    if not said.direct:
        return None
    if not said.words:
        return [_not_understood(ctx, said)]  # only quotes: nothing to answer or pass on
    found = await waiting(ctx.session, person=ctx.actor, now=ctx.now)
    if len(found) == 1:
        return await answers.answer(ctx, found[0], said.text, held=None)
    if found:
        return await answers.which_pair(ctx, found, said.text)
    return [_not_understood(ctx, said)]


def _greeting(ctx: Context, greeted: words.Greeting) -> Message:
    name = ctx.actor.label
    if greeted is words.Greeting.THANKS:
        text = f"You're welcome, {name}! {POINTER}"
    elif greeted is words.Greeting.BYE:
        text = f"Bye for now, {name}! {POINTER}"
    else:
        text = f"Hello {name}! I'm the mentoring bot. {POINTER}"
    return Message(text=text, kind=Kind.GREETING)


def _not_understood(ctx: Context, said: FreeText) -> Message:
    close = _closest(ctx, said.words) if len(said.words) <= LIKE_A_COMMAND else []
    if close:
        options = " or ".join(close)
        text = (
            f"I didn't understand that. Did you mean {options}? Type help to see everything "
            "I can do."
        )
    else:
        text = f"I didn't understand that. {POINTER}"
    return Message(text=text, kind=Kind.NOT_UNDERSTOOD)


def _closest(ctx: Context, said: tuple[str, ...]) -> list[str]:
    """The names of the commands this person may use that look most like what they wrote."""
    if not said:
        return []
    names = [
        verb.name
        for verb in ctx.registry.verbs.values()
        if verb.role is None or verb.role in ctx.roles
    ]
    first = said[0].lower().strip("?!.,")
    two = " ".join(w.lower() for w in said[:2])
    scored = []
    for name in names:
        typed = two if " " in name else first
        likeness = difflib.SequenceMatcher(None, typed, name).ratio()
        if likeness >= CLOSE_ENOUGH:
            scored.append((-likeness, name))
    return [name for _, name in sorted(scored)[:3]]
