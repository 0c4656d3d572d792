"""One command grammar for every platform.

``/mentor <verb> [args]`` on Slack, ``<verb> [args]`` to the bot on Teams and in
the console. Arguments are shell-like words (quotes group words; Slack's and
Teams' curly quotes count too) with ``--flag value`` options. Person references
come in the forms platforms send: Slack's escaped ``<@U024BE7LH|bob>``, a bare
``<@U024BE7LH>``, ``@bob`` or a plain id.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from conversations.errors import UserError

MAX_COMMAND_LENGTH = 4000
MAX_NAME = 200
"""Platform ids and names in mentions are bounded by the columns they are kept in."""
_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})
_ESCAPED_PERSON = re.compile(r"^<@([A-Za-z0-9._:\-]{1,128})(?:\|([^>]*))?>$")
_PLAIN_PERSON = re.compile(r"^@?([A-Za-z0-9][A-Za-z0-9._:\-]{0,127})$")


@dataclass(frozen=True, slots=True)
class PersonRef:
    user_id: str
    display_name: str | None
    verified: bool
    """True when the platform linked the mention (escaped form): the person exists there."""


@dataclass(slots=True)
class Tokens:
    """A command's words and ``--flag value`` options, before any verb reads them (a verb's
    declared arguments turn them into named values: :mod:`conversations.arguments`)."""

    words: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)


def split_words(text: str) -> list[str]:
    """Split command text into words, with a friendly error for unbalanced quotes."""
    if len(text) > MAX_COMMAND_LENGTH:
        raise UserError(
            f"That command is too long ({len(text):,} characters); "
            f"keep it under {MAX_COMMAND_LENGTH:,}."
        )
    cleaned = text.translate(_CURLY).replace("\x00", "").strip()
    try:
        words = shlex.split(cleaned, posix=True)
    except ValueError:
        raise UserError(
            "A quote is missing its partner. Put text with spaces inside a matching "
            'pair of quotes, e.g. checkin 4 "good talk"'
        ) from None
    if words and words[0].lower() in ("/mentor", "mentor"):
        words = words[1:]
    return words


def parse_args(
    words: list[str],
    *,
    allowed_flags: frozenset[str],
    usage: str,
    switches: frozenset[str] = frozenset(),
) -> Tokens:
    """Words and ``--flag value`` options; a switch (``--skip-invalid``) takes no value."""
    tokens = Tokens()
    position = 0
    while position < len(words):
        word = words[position]
        if word.startswith("--") and len(word) > 2:
            name, equals, value = word[2:].partition("=")
            name = name.lower()
            if name in switches:
                tokens.flags[name] = value if equals else "yes"
                position += 1
                continue
            if name not in allowed_flags:
                known = ", ".join(f"--{f}" for f in sorted(allowed_flags | switches)) or "none"
                raise UserError(
                    f"I don't know the option --{name} (options here: {known}).", usage=usage
                )
            if not equals:
                position += 1
                if position >= len(words) or words[position].startswith("--"):
                    raise UserError(f"--{name} needs a value after it.", usage=usage)
                value = words[position]
            tokens.flags[name] = value
        else:
            tokens.words.append(word)
        position += 1
    return tokens


_ESCAPED_CHANNEL = re.compile(r"^<#([A-Za-z0-9._:@\-]{1,255})(?:\|([^>]*))?>$")
_PLAIN_CHANNEL = re.compile(r"^#([A-Za-z0-9][A-Za-z0-9._:@\-]{0,254})$")


def channel_ref(word: str) -> str | None:
    """A channel id from Slack's ``<#C123|general>`` or a plain ``#general``."""
    escaped = _ESCAPED_CHANNEL.match(word)
    if escaped:
        return escaped.group(1)
    plain = _PLAIN_CHANNEL.match(word)
    return plain.group(1) if plain else None


def person_ref(word: str) -> PersonRef | None:
    """A person reference, or None if the word is not shaped like one."""
    escaped = _ESCAPED_PERSON.match(word)
    if escaped:
        name = escaped.group(2)[:MAX_NAME] if escaped.group(2) else None  # a column's length
        return PersonRef(escaped.group(1), name, verified=True)
    plain = _PLAIN_PERSON.match(word)
    if plain:
        return PersonRef(plain.group(1), None, verified=False)
    return None
