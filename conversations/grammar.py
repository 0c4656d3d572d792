"""One command grammar for every platform.

``/mentor <verb> [args]`` on Slack, ``<verb> [args]`` to the bot on Teams and in
the console. Arguments are shell-like words (quotes group words; Slack's and
Teams' curly quotes count too) with ``--flag value`` options. Person references
come in the forms platforms send: Slack's escaped ``<@U024BE7LH|bob>``, a bare
``<@U024BE7LH>``, ``@bob`` or a plain id; ``conversations.codec`` reads them (and the
adapters write them), this module re-exports its readers for the verbs.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from conversations.codec import PersonRef, channel_ref, person_ref
from conversations.errors import UserError

__all__ = [
    "MAX_COMMAND_LENGTH",
    "PersonRef",
    "channel_ref",
    "parse_args",
    "person_ref",
    "split_words",
]

MAX_COMMAND_LENGTH = 4000
_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})


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
