"""The verbs people can use, each declared once with its usage and who may use it.

Buttons and forms map onto the same handlers as typed commands, so anything a
button does can be scripted as text (``met``, ``checkin 4 "note"``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from conversations.context import Context, Reply
from conversations.grammar import Args
from conversations.messages import Message

Handler = Callable[[Context, Args], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Verb:
    name: str
    usage: str
    summary: str
    handler: Handler
    role: str | None = None
    """The workspace role needed (None: anyone)."""
    min_words: int = 0
    max_words: int = 0
    flags: frozenset[str] = frozenset()
    switches: frozenset[str] = frozenset()
    """Options that take no value (``--skip-invalid``)."""
    group: str = "Taking part"


VERBS: dict[str, Verb] = {}


def verb(
    name: str,
    *,
    usage: str,
    summary: str,
    role: str | None = None,
    min_words: int = 0,
    max_words: int = 0,
    flags: tuple[str, ...] = (),
    switches: tuple[str, ...] = (),
    group: str = "Taking part",
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        VERBS[name] = Verb(
            name=name,
            usage=usage,
            summary=summary,
            handler=handler,
            role=role,
            min_words=min_words,
            max_words=max_words,
            flags=frozenset(flags),
            switches=frozenset(switches),
            group=group,
        )
        return handler

    return register


def find(words: list[str]) -> tuple[Verb | None, list[str]]:
    """The verb named by the first one or two words, and the words after it."""
    lowered = [w.lower() for w in words]
    if len(lowered) >= 2 and f"{lowered[0]} {lowered[1]}" in VERBS:
        return VERBS[f"{lowered[0]} {lowered[1]}"], words[2:]
    if lowered and lowered[0] in VERBS:
        return VERBS[lowered[0]], words[1:]
    return None, words


def load_all() -> None:
    """Import every verb module so the registry is complete."""
    from conversations.commands import (  # noqa: F401
        admin,
        audit,
        concerns,
        conduct,
        csvio,
        digest,
        help,
        matching,
        meetings,
        nudges,
        outbox,
        pairing,
        participation,
        privacy,
        programmes,
        quiet,
        safeguarding,
    )


Action = Callable[[Context, str, dict[str, str]], Awaitable[Reply]]
"""A button or form handler: (context, the button's value, the form's values)."""

ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    """Register what a button or form with this action name does."""

    def register(handler: Action) -> Action:
        ACTIONS[name] = handler
        return handler

    return register


FormBuilder = Callable[[Context, str], Awaitable[Message | None]]
"""Rebuild a form for a submit action and value (platforms that open forms separately)."""

FORMS: dict[str, FormBuilder] = {}


def form(name: str) -> Callable[[FormBuilder], FormBuilder]:
    """Register how to rebuild the form whose submit button has this action."""

    def register(builder: FormBuilder) -> FormBuilder:
        FORMS[name] = builder
        return builder

    return register
