"""Every format the engine writes for a platform to carry back: button values, the
"open the form" payload and mentions. Each is written and read here and nowhere else.

A button's value leaves the engine, sits in someone's chat for weeks, and comes back
when they press it, possibly after an upgrade, possibly forged. So each value is a typed
record with one ``encode`` and one ``decode``; the strings keep the format buttons
already sent carry (``"12:3:met"``, ``"pair:7"``…), so old messages still work.
``decode`` accepts only what ``encode`` writes: ASCII digits in canonical form (no sign,
space, leading zero, "²" or number past a database id), the right number of parts, a
known word. Anything else raises :class:`OutOfDate`, whose message is the one sentence a
person reads for every stale or forged button or form.

Mentions are the engine's neutral ``<@id|Name>`` and ``<#id|name>``: Slack sends them
natively, the Teams adapter and the console write them with :func:`mention` and
:func:`channel`, and the grammar reads them with :func:`person_ref` and
:func:`channel_ref`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal, Self, get_args

from conversations.errors import UserError
from storage.models import MeetingOutcome

OUT_OF_DATE = "That button is out of date. Type help to see what I can do."
"""The one answer to a stale, forged or malformed button or form, wherever it is pressed."""

MAX_ID = 999_999_999
"""The largest number a value may carry: every id fits a 32-bit column (PostgreSQL
refuses to look up a bigger one), and no session, day or version comes near it."""

OPEN_FORM = "form.open"
"""The action of a button that opens a form (see ``conversations.cards.OPEN_FORM``)."""

COMMAND = "command"
"""The action of a button that runs a command as if its presser had typed it: its value is
the command's text. The engine checks the presser's permissions as it does for anything
typed, so a forged value can do nothing its presser could not type."""

MAX_VALUE = 2000
"""The longest value a button may carry (Slack's limit); a command longer than this is
asked for in words instead (``fits``)."""


def fits(value: str) -> bool:
    """Whether ``value`` fits in a button on every platform."""
    return len(value) <= MAX_VALUE


Side = Literal["mentor", "mentee"]
ConcernKind = Literal["pair", "programme"]
_SIDES: tuple[str, ...] = get_args(Side)
_CONCERN_KINDS: tuple[str, ...] = get_args(ConcernKind)
_PROGRAMME_KEY = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")


class OutOfDate(UserError):
    """A value the engine did not write, or wrote for something that has since gone.

    One type and one sentence, so no handler words it its own way and a forged value
    learns nothing a stale one would not.
    """

    def __init__(self) -> None:
        super().__init__(OUT_OF_DATE)


def _number(text: str) -> int:
    """A whole number exactly as ``str(int)`` writes it, from 0 to :data:`MAX_ID`.

    ``str.isdigit`` is not enough (it accepts "²" and "١", which ``int`` reads or
    refuses unpredictably), nor is ``int`` (it accepts " 1", "+1", "1_0" and any size).
    """
    if not (0 < len(text) <= len(str(MAX_ID)) and text.isascii() and text.isdigit()):
        raise OutOfDate
    if text != "0" and text.startswith("0"):
        raise OutOfDate
    return int(text)


def _encode_number(number: int) -> str:
    if not 0 <= number <= MAX_ID:
        raise ValueError(f"{number} does not fit a button value (0 to {MAX_ID})")
    return str(number)


def _parts(value: str, count: int) -> list[str]:
    pieces = value.split(":")
    if len(pieces) != count:
        raise OutOfDate
    return pieces


@dataclass(frozen=True, slots=True)
class Ref:
    """A button that names one row: a pair (stall.*, inactivity.keep), an offer, a
    concern, a person (forget-me) or a dead outbox message. Written as ``"<id>"``."""

    id: int

    def encode(self) -> str:
        return _encode_number(self.id)

    @classmethod
    def decode(cls, value: str) -> Self:
        return cls(_number(value))


@dataclass(frozen=True, slots=True)
class SessionRef:
    """A pair's session (the check-in form and its submit): ``"<pair>:<session>"``."""

    pair_id: int
    session: int

    def encode(self) -> str:
        return f"{_encode_number(self.pair_id)}:{_encode_number(self.session)}"

    @classmethod
    def decode(cls, value: str) -> Self:
        pair, session = _parts(value, 2)
        return cls(_number(pair), _number(session))


@dataclass(frozen=True, slots=True)
class MeetingAnswer:
    """ "We met", "Not yet", "Rescheduled" or "We skipped it" for a session:
    ``"<pair>:<session>:<outcome>"``. Only an answer a person may give decodes."""

    pair_id: int
    session: int
    outcome: MeetingOutcome

    def encode(self) -> str:
        return (
            f"{_encode_number(self.pair_id)}:{_encode_number(self.session)}:"
            f"{MeetingOutcome(self.outcome).value}"
        )

    @classmethod
    def decode(cls, value: str) -> Self:
        pair, session, outcome = _parts(value, 3)
        try:
            chosen = MeetingOutcome(outcome)
        except ValueError:
            raise OutOfDate from None
        if not chosen.said_by_people:
            raise OutOfDate
        return cls(_number(pair), _number(session), chosen)


@dataclass(frozen=True, slots=True)
class PulseAnswer:
    """The pulse form of a pair on a day of its life: ``"<pair>:<day>"``."""

    pair_id: int
    day: int

    def encode(self) -> str:
        return f"{_encode_number(self.pair_id)}:{_encode_number(self.day)}"

    @classmethod
    def decode(cls, value: str) -> Self:
        pair, day = _parts(value, 2)
        return cls(_number(pair), _number(day))


@dataclass(frozen=True, slots=True)
class ConductAnswer:
    """ "I agree" to one version of a code of conduct: ``"<enrolment>:<version>"``, so a
    press on a card showing an older version never accepts the newer one."""

    enrolment_id: int
    version: int

    def encode(self) -> str:
        return f"{_encode_number(self.enrolment_id)}:{_encode_number(self.version)}"

    @classmethod
    def decode(cls, value: str) -> Self:
        enrolment, version = _parts(value, 2)
        return cls(_number(enrolment), _number(version))


@dataclass(frozen=True, slots=True)
class JoinStart:
    """A Join button on an announcement: ``"<programme key>:<mentor|mentee>"``."""

    programme_key: str
    side: Side

    def encode(self) -> str:
        if not _PROGRAMME_KEY.fullmatch(self.programme_key) or self.side not in _SIDES:
            raise ValueError(f"not a join button: {self.programme_key!r}, {self.side!r}")
        return f"{self.programme_key}:{self.side}"

    @classmethod
    def decode(cls, value: str) -> Self:
        key, side = _parts(value, 2)
        if not _PROGRAMME_KEY.fullmatch(key):
            raise OutOfDate
        if side == "mentor":
            return cls(key, "mentor")
        if side == "mentee":
            return cls(key, "mentee")
        raise OutOfDate


@dataclass(frozen=True, slots=True)
class ConcernAbout:
    """What a concern form is about: ``"pair:<id>"`` or ``"programme:<id>"``."""

    kind: ConcernKind
    id: int

    def encode(self) -> str:
        if self.kind not in _CONCERN_KINDS:
            raise ValueError(f"a concern is about a pair or a programme, not {self.kind!r}")
        return f"{self.kind}:{_encode_number(self.id)}"

    @classmethod
    def decode(cls, value: str) -> Self:
        kind, number = _parts(value, 2)
        if kind == "pair":
            return cls("pair", _number(number))
        if kind == "programme":
            return cls("programme", _number(number))
        raise OutOfDate


@dataclass(frozen=True, slots=True)
class HeldFor:
    """ "This pairing": which pair words someone wrote, held until they chose, are about:
    ``"<held reply>:<pair>"``."""

    held_id: int
    pair_id: int

    def encode(self) -> str:
        return f"{_encode_number(self.held_id)}:{_encode_number(self.pair_id)}"

    @classmethod
    def decode(cls, value: str) -> Self:
        held, pair = _parts(value, 2)
        return cls(_number(held), _number(pair))


@dataclass(frozen=True, slots=True)
class HeldRating:
    """A rating from 1 to 5 for a session's check-in whose note is words someone wrote,
    held until they rated it: ``"<held reply>:<pair>:<session>:<rating>"``."""

    held_id: int
    pair_id: int
    session: int
    rating: int

    def encode(self) -> str:
        if not 1 <= self.rating <= 5:
            raise ValueError(f"a rating is from 1 to 5, not {self.rating}")
        return (
            f"{_encode_number(self.held_id)}:{_encode_number(self.pair_id)}:"
            f"{_encode_number(self.session)}:{self.rating}"
        )

    @classmethod
    def decode(cls, value: str) -> Self:
        held, pair, session, rating = _parts(value, 4)
        if rating not in ("1", "2", "3", "4", "5"):
            raise OutOfDate
        return cls(_number(held), _number(pair), _number(session), int(rating))


@dataclass(frozen=True, slots=True)
class FormOpen:
    """What an "open the form" button carries: the action and value of the form's
    submit button, from which the engine rebuilds the form (``Engine.form``). Written
    as compact JSON ``{"a": action, "v": value}``; Slack keeps the same in a modal's
    ``private_metadata``."""

    action: str
    value: str

    def encode(self) -> str:
        return json.dumps(
            {"a": self.action, "v": self.value}, separators=(",", ":"), ensure_ascii=False
        )

    @classmethod
    def decode(cls, packed: str) -> Self:
        try:
            data = json.loads(packed)
        except (ValueError, RecursionError):
            raise OutOfDate from None
        if not isinstance(data, dict) or set(data) != {"a", "v"}:
            raise OutOfDate
        action, value = data["a"], data["v"]
        if not isinstance(action, str) or not isinstance(value, str):
            raise OutOfDate
        return cls(action, value)


# --- mentions ------------------------------------------------------------------------------

MAX_NAME = 200
"""Platform ids and names in mentions are bounded by the columns they are kept in."""
_ESCAPED_PERSON = re.compile(r"^<@([A-Za-z0-9._:\-]{1,128})(?:\|([^>]*))?>$")
_PLAIN_PERSON = re.compile(r"^@?([A-Za-z0-9][A-Za-z0-9._:\-]{0,127})$")
_EMAIL_PERSON = re.compile(r"^@?([^@\s<>|]{1,64}@[^@\s<>|]{1,200}\.[A-Za-z]{2,63})$")
_ESCAPED_CHANNEL = re.compile(r"^<#([A-Za-z0-9._:@\-]{1,255})(?:\|([^>]*))?>$")
_PLAIN_CHANNEL = re.compile(r"^#([A-Za-z0-9][A-Za-z0-9._:@\-]{0,254})$")
_NAME_BREAKERS = str.maketrans(dict.fromkeys("<>|\n\r\x00", " "))


@dataclass(frozen=True, slots=True)
class PersonRef:
    user_id: str
    display_name: str | None
    verified: bool
    """True when the platform linked the mention (escaped form): the person exists there."""
    email: str | None = None
    """Given instead of an id (someone imported by email who has not spoken to the bot)."""


def _shown(name: str | None) -> str:
    """A display name that cannot end the mention early or smuggle in another one."""
    return (name or "").translate(_NAME_BREAKERS).strip()[:MAX_NAME]


def mention(user_id: str, name: str | None = None) -> str:
    """A person as the platform vouches for them: ``<@id|Name>``, or ``<@id>`` unnamed."""
    shown = _shown(name)
    return f"<@{user_id}|{shown}>" if shown else f"<@{user_id}>"


def channel(channel_id: str, name: str | None = None) -> str:
    """A channel the platform linked: ``<#id|name>``, or ``<#id>`` unnamed."""
    shown = _shown(name)
    return f"<#{channel_id}|{shown}>" if shown else f"<#{channel_id}>"


def person_ref(word: str) -> PersonRef | None:
    """A person reference (``<@U1|bob>``, ``<@U1>``, ``@bob`` or a plain id, or an email
    address), or None if the word is not shaped like one."""
    escaped = _ESCAPED_PERSON.match(word)
    if escaped:
        name = escaped.group(2)[:MAX_NAME] if escaped.group(2) else None  # a column's length
        return PersonRef(escaped.group(1), name, verified=True)
    plain = _PLAIN_PERSON.match(word)
    if plain:
        return PersonRef(plain.group(1), None, verified=False)
    email = _EMAIL_PERSON.match(word)
    if email:
        address = email.group(1).lower()
        return PersonRef(f"email:{address}", None, verified=False, email=address)
    return None


def channel_shown(word: str) -> str:
    """How a reply names a channel someone mentioned: ``#general`` (its name, as the
    platform showed it to them), never the raw mention, which the renderers escape as they
    do everything a person typed."""
    escaped = _ESCAPED_CHANNEL.match(word)
    if escaped:
        return f"#{escaped.group(2)}" if escaped.group(2) else "that channel"
    return word


def channel_ref(word: str) -> str | None:
    """A channel id from ``<#C123|general>`` or a plain ``#general``."""
    escaped = _ESCAPED_CHANNEL.match(word)
    if escaped:
        return escaped.group(1)
    plain = _PLAIN_CHANNEL.match(word)
    return plain.group(1) if plain else None
