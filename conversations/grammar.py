"""One command grammar for every platform.

``/mentor <verb> [args]`` on Slack, ``<verb> [args]`` to the bot on Teams and in
the console. Arguments are shell-like words (quotes group words; Slack's and
Teams' curly quotes count too; an apostrophe inside a word, as in "it's", is part of the
word) with ``--flag value`` options. Text whose quotes do not pair up is no command
grammar error by itself: :class:`BrokenQuotes` lets the engine read it as prose, or
refuse it with the usage of the verb it starts with. Person references
come in the forms platforms send: Slack's escaped ``<@U024BE7LH|bob>``, a bare
``<@U024BE7LH>``, ``@bob`` or a plain id; ``conversations.codec`` reads them (and the
adapters write them), this module re-exports its readers for the verbs.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from conversations.codec import PersonRef, channel_ref, person_ref
from conversations.errors import UserError

__all__ = [
    "MAX_COMMAND_LENGTH",
    "BrokenQuotes",
    "PersonRef",
    "channel_ref",
    "loose_words",
    "parse_args",
    "person_ref",
    "prose",
    "split_words",
]

MAX_COMMAND_LENGTH = 4000
_CURLY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " "})
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
"""An apostrophe between two letters ("it's", "Ben's", "O'Brien"): part of the word."""
_KEPT = "\x00"
"""Stands in for such an apostrophe while quotes are read (cleaned text has no NUL)."""
_PREFIXES = ("/mentor", "mentor")
_EDGES = "\"'"


class BrokenQuotes(UserError):
    """The text's quotes do not pair up, so it cannot be read as a command's words."""

    def __init__(self) -> None:
        super().__init__(
            "I couldn't tell where the words in quotes end: put text with spaces between a "
            'pair of double quotes, one at each end, like "a good talk".'
        )


@dataclass(slots=True)
class Tokens:
    """A command's words and ``--flag value`` options, before any verb reads them (a verb's
    declared arguments turn them into named values: :mod:`conversations.arguments`)."""

    words: list[str] = field(default_factory=list)
    flags: dict[str, str] = field(default_factory=dict)


def clean(text: str) -> str:
    """Curly quotes made straight, no-break spaces plain, NULs gone, ends trimmed."""
    return text.translate(_CURLY).replace("\x00", "").strip()


def split_words(text: str) -> list[str]:
    """Split command text into words; :class:`BrokenQuotes` when its quotes do not pair up."""
    if len(text) > MAX_COMMAND_LENGTH:
        raise UserError(
            f"That message is too long ({len(text):,} characters); "
            f"keep it under {MAX_COMMAND_LENGTH:,}."
        )
    kept = _APOSTROPHE.sub(_KEPT, clean(text))
    try:
        words = [word.replace(_KEPT, "'") for word in shlex.split(kept, posix=True)]
    except ValueError:
        raise BrokenQuotes from None
    return _without_prefix(words)


def prose(text: str) -> str:
    """What someone wrote, as they wrote it, without a leading ``/mentor``."""
    said = text.strip()
    if said[: len("/mentor")].lower() == "/mentor" and said[len("/mentor") :][:1] in ("", " "):
        said = said[len("/mentor") :].strip()
    return said


def loose_words(text: str) -> list[str]:
    """The words of any text, split at spaces whatever its quotes, with the quotes at each
    word's ends left off: enough to tell whether it starts with a command's name."""
    words = [word.strip(_EDGES) for word in clean(text).split()]
    return _without_prefix([word for word in words if word])


def _without_prefix(words: list[str]) -> list[str]:
    if words and words[0].lower() in _PREFIXES:
        return words[1:]
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
