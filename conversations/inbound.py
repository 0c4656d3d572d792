"""Text from a platform, made fit to store before the engine reads it.

Anything a person or a platform sends may hold characters no database keeps: a NUL
(PostgreSQL refuses it in text and in JSON) or half of a surrogate pair (JSON can
carry ``"\\ud800"``; it is not UTF-8). Either would fail the event's transaction as
an error of ours, and the person would get an apology for what they typed. So every
string in an event is cleaned once, on the way in: NULs go, lone surrogates become
U+FFFD. Profile fields longer than their columns are cut or dropped, since they come
from the platform and the person cannot fix them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from conversations.events import Actor, ButtonPressed, CommandSent, Event, FormSubmitted

MAX_ID = 128
"""Platform ids of people and workspaces are kept in columns this long."""
MAX_NAME = 200
MAX_EMAIL = 320
MAX_LOCALE = 16
MAX_TIMEZONE = 64

_SURROGATE = re.compile("[\ud800-\udfff]")


def text(value: str) -> str:
    """``value`` without NULs, with any lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def _optional(value: str | None, limit: int) -> str | None:
    """A cleaned optional field; None when it is blank or longer than its column."""
    if not value:
        return None
    cleaned = text(value).strip()
    return cleaned if cleaned and len(cleaned) <= limit else None


def actor(who: Actor) -> Actor:
    return replace(
        who,
        workspace=text(who.workspace),
        user_id=text(who.user_id),
        display_name=text(who.display_name).strip()[:MAX_NAME],
        timezone=_optional(who.timezone, MAX_TIMEZONE),
        locale=_optional(who.locale, MAX_LOCALE),
        email=_optional(who.email, MAX_EMAIL),
    )


def identifiable(who: Actor) -> bool:
    """Whether the actor's ids can name a person: present, and no longer than a column."""
    return bool(who.user_id.strip()) and len(who.user_id) <= MAX_ID and len(who.workspace) <= MAX_ID


def event(happened: Event) -> Event:
    """The event with every string in it cleaned (file contents are read, and checked,
    by the command that asked for the file)."""
    who = actor(happened.actor)
    if isinstance(happened, CommandSent):
        return replace(happened, actor=who, text=text(happened.text))
    if isinstance(happened, FormSubmitted):
        return replace(
            happened,
            actor=who,
            action=text(happened.action),
            value=text(happened.value),
            values={text(k): text(v) for k, v in happened.values.items()},
        )
    if isinstance(happened, ButtonPressed):
        return replace(
            happened, actor=who, action=text(happened.action), value=text(happened.value)
        )
    return replace(happened, actor=who)


MAX_ROW_ID = 999_999_999
"""Row ids fit in nine digits long before anything else gives out; a longer number in a
button's value is not one of ours (and past 2³¹ the database refuses to look it up)."""


def whole_number(text: str, *, most: int = MAX_ROW_ID) -> int | None:
    """``text`` as a whole number in ASCII digits, from 0 to ``most``; None otherwise.

    ``str.isdigit`` is not enough: it accepts "²" and other characters ``int`` cannot
    read, and any number of digits.
    """
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > len(str(most)):
        return None
    number = int(cleaned)
    return number if number <= most else None


def cleaned(value: Any) -> Any:
    """A parsed JSON payload with :func:`text` applied to every string in it, keys too:
    what an adapter stores straight from a platform (an activity id, a conversation
    reference) must be storable as well."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list):
        return [cleaned(item) for item in value]
    if isinstance(value, dict):
        return {text(str(key)): cleaned(item) for key, item in value.items()}
    return value
