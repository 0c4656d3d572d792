"""Human durations, read and said back in one place: "30 minutes", "2 weeks", "1 month".

Every place that takes a span of time reads it here (a snooze, the console's ``wait``, a
programme's rhythm, the mentee-choice window, a curriculum's cadence and length), and every
place that says one back says it here, so "m" cannot mean minutes in one command and
months in another, and nobody is ever told "43200 minutes".

The grammar is small and explicit: a whole number (digits, or a word from "a" to
"twelve"), then one unit::

    m  min  mins  minute  minutes        mo  mos  month  months   (a month is 30 days)
    h  hr   hrs   hour    hours          w   wk   wks   week  weeks
    d  day  days

with or without a space ("30m", "30 m", "30 minutes"); a unit alone is one of it ("week").
A rhythm may also say "every 2 weeks", "every week", "daily", "weekly", "fortnightly" or
"monthly". Fractions, zero, negative spans, two units at once, years, seconds and units we
do not count in are refused with a sentence that says what would do, as are spans that a
place counts in days (a rhythm, the choice window) written in minutes or hours: those are
never rounded behind the person's back.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

MAX_DAYS = 3660
"""About ten years: longer than any programme, cadence or snooze, and short enough that
dates and day counts built from it stay within what Python and the database hold."""


class Unit(enum.IntEnum):
    """A unit we count in, valued in minutes."""

    MINUTE = 1
    HOUR = 60
    DAY = 60 * 24
    WEEK = 60 * 24 * 7
    MONTH = 60 * 24 * 30

    @property
    def word(self) -> str:
        return self.name.lower()

    def amount(self, count: int) -> str:
        """``count`` of this unit with the right plural: "1 week", "3 weeks"."""
        return f"{count} {self.word}{'' if count == 1 else 's'}"


_UNITS: dict[str, Unit] = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), Unit.MINUTE),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), Unit.HOUR),
    **dict.fromkeys(("d", "day", "days"), Unit.DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), Unit.WEEK),
    **dict.fromkeys(("mo", "mos", "month", "months"), Unit.MONTH),
}
_BARE_UNITS = frozenset({"minute", "hour", "day", "week", "month"})
"""Units that mean one of themselves when written alone ("week"; not "w")."""
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_RHYTHM_WORDS = {"daily": 1, "weekly": 7, "fortnightly": 14, "monthly": 30}
_OTHER_UNITS: dict[str, tuple[Unit, int]] = {
    **dict.fromkeys(("fortnight", "fortnights"), (Unit.WEEK, 2)),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), (Unit.MONTH, 12)),
}
"""Units people use that we do not count in, with the unit and factor we suggest instead."""
_SECONDS = frozenset({"s", "sec", "secs", "second", "seconds"})

_PHRASE = re.compile(
    r"^(?:(?P<sign>[-+\u2212])?\s*(?:(?P<digits>\d+(?:\.\d+)?)\s*|(?P<word>[a-z]+)\s+))?"
    r"(?P<unit>[a-z]+)$",
    re.ASCII,
)
_NUMBER_ONLY = re.compile(r"^[-+\u2212]?\s*\d+(?:\.\d+)?$", re.ASCII)
_PART = re.compile(r"(\d+)\s*([a-z]+)\s*", re.ASCII)
_LONGEST_DIGITS = 7
"""More digits than this make a span past ``MAX_DAYS`` in any unit: refused unread."""

SPAN_EXAMPLES = "e.g. '30 minutes', '2 hours', '3 days', '2 weeks' or '1 month'"
RHYTHM_EXAMPLES = "e.g. 'every 2 weeks', 'every week', '10 days' or '1 month'"
DAY_EXAMPLES = "e.g. '3d', '1 week' or '10 days'"


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one place accepts: its smallest unit, whether "every …" is a rhythm, and how
    its refusals name it and show what would do."""

    smallest: Unit
    rhythm: bool
    what: str
    examples: str


def _shown(text: str) -> str:
    cleaned = " ".join(str(text).split())
    return cleaned if len(cleaned) <= 40 else cleaned[:40] + "…"


def _read(text: str, reading: _Reading) -> timedelta:
    """The span ``text`` names, or ``ValueError`` with a sentence a person can act on."""
    shown = _shown(text)
    cleaned = " ".join(str(text).strip().lower().split())
    if reading.rhythm and cleaned in _RHYTHM_WORDS:
        return _within(shown, _RHYTHM_WORDS[cleaned] * Unit.DAY, reading)
    if cleaned.startswith("every "):
        if not reading.rhythm:
            raise ValueError(f"'{shown}' is a rhythm; here write how long, {reading.examples}.")
        cleaned = cleaned.removeprefix("every ")
    if not cleaned:
        raise ValueError(f"Say how long, {reading.examples}.")
    if _NUMBER_ONLY.match(cleaned):
        number = cleaned.lstrip("+-\u2212 ")
        raise ValueError(f"'{shown}' needs a unit: {number} what? Write {reading.examples}.")
    if _in_parts(cleaned):
        raise ValueError(f"Write '{shown}' in one unit, {reading.examples}.")
    match = _PHRASE.match(cleaned)
    unknown = ValueError(f"'{shown}' is not a duration I understand; write {reading.examples}.")
    if match is None:
        raise unknown
    word, unit_word = match.group("word"), match.group("unit")
    number = match.group("digits") or word
    if word is not None and word not in _NUMBERS:
        raise unknown
    if unit_word in _SECONDS:
        raise ValueError(
            f"I count time in minutes at the smallest, so '{shown}' is too short to plan "
            f"for; write {reading.examples}."
        )
    if unit_word in _OTHER_UNITS:
        raise _other_unit(shown, number, unit_word)
    unit = _UNITS.get(unit_word)
    if unit is None or (number is None and unit_word not in _BARE_UNITS):
        raise unknown
    if match.group("sign") in ("-", "\u2212"):
        raise ValueError(
            f"'{shown}' is a negative span, and I can't go back in time; write {reading.examples}."
        )
    if unit < reading.smallest:
        counted = "days or longer" if reading.rhythm else "whole days"
        raise ValueError(
            f"{reading.what} is counted in {counted}, so '{shown}' won't do; "
            f"write {reading.examples}."
        )
    return _within(shown, _count(shown, number, unit, reading) * unit, reading)


def _in_parts(cleaned: str) -> bool:
    """Whether ``cleaned`` is a span in two or more units ("2 weeks 3 days", "1h30m")."""
    parts = _PART.findall(cleaned)
    whole = "".join(m.group(0) for m in _PART.finditer(cleaned)) == cleaned
    return whole and len(parts) > 1 and all(unit in _UNITS for _, unit in parts)


def _count(shown: str, number: str | None, unit: Unit, reading: _Reading) -> int:
    """The whole number written before ``unit`` (one when none is)."""
    if number is None:
        return 1
    if number in _NUMBERS:
        return _NUMBERS[number]
    if not number.isdigit():
        exact = _smaller(number, unit)
        if exact is not None and exact[1] >= reading.smallest:
            raise ValueError(f"Use a whole number: write e.g. '{exact[0]}' rather than '{shown}'.")
        raise ValueError(
            f"'{shown}' isn't a whole number of {unit.word}s; write a whole number, "
            f"{reading.examples}."
        )
    digits = number.lstrip("0") or "0"
    if len(digits) > _LONGEST_DIGITS:
        raise ValueError(
            f"'{shown}' is longer than I can plan for; keep it under ten years, e.g. '6 months'."
        )
    return int(digits)


def _smaller(number: str, unit: Unit) -> tuple[str, Unit] | None:
    """``number`` (a fraction) of ``unit`` as a whole count of the next unit down, if exact:
    1.5 hours is "90 minutes"; 1.5 weeks is no whole number of days, so None."""
    below = [u for u in Unit if u < unit]
    if not below or len(number) > _LONGEST_DIGITS + 1:
        return None
    value = float(number)
    count = value * unit / below[-1]
    if count < 1 or abs(count - round(count)) > 1e-9:
        return None
    return below[-1].amount(round(count)), below[-1]


def _other_unit(shown: str, number: str | None, word: str) -> ValueError:
    """The refusal of a unit we don't count in, suggesting the same span in one we do."""
    unit, factor = _OTHER_UNITS[word]
    count = _NUMBERS.get(number or "a")
    if number is not None and number.isdigit() and len(number) <= _LONGEST_DIGITS:
        count = int(number)
    instead = unit.amount(count * factor) if count else unit.amount(factor)
    return ValueError(
        f"I count in minutes, hours, days, weeks and months: write e.g. '{instead}' "
        f"rather than '{shown}'."
    )


def _within(shown: str, minutes: int, reading: _Reading) -> timedelta:
    if minutes <= 0:
        raise ValueError(f"'{shown}' is no time at all; write {reading.examples}.")
    if minutes > MAX_DAYS * Unit.DAY:
        raise ValueError(
            f"'{shown}' is longer than I can plan for; keep it under ten years, e.g. '6 months'."
        )
    return timedelta(minutes=minutes)


_SPAN = _Reading(Unit.MINUTE, rhythm=False, what="A span", examples=SPAN_EXAMPLES)
_RHYTHM = _Reading(Unit.DAY, rhythm=True, what="A programme's rhythm", examples=RHYTHM_EXAMPLES)


def parse_delta(text: str) -> timedelta:
    """A span from a minute up: "30 minutes", "30m", "2 hours", "3d", "2 weeks", "1mo".

    For snoozes and the console's clock. Raises ``ValueError`` with a sentence a person can
    act on, naming what would do.
    """
    return _read(text, _SPAN)


def parse_days(text: str) -> int:
    """A programme's rhythm or length in days: "every 2 weeks", "weekly", "10 days",
    "1 month". Minutes and hours are refused, never rounded."""
    return _read(text, _RHYTHM).days


def parse_whole_days(text: str, *, what: str) -> int:
    """A span counted in whole days ("3d", "1 week"), for ``what`` ("The choice window"),
    which names the place in a refusal of minutes or hours."""
    return _read(text, _Reading(Unit.DAY, rhythm=False, what=what, examples=DAY_EXAMPLES)).days


def describe(span: timedelta) -> str:
    """A span in the largest unit that says it exactly: "2 weeks", "1 month", "36 hours",
    "90 minutes". Seconds are dropped; under a minute is "less than a minute"."""
    minutes = int(span.total_seconds() // 60)
    if minutes <= 0:
        return "less than a minute"
    for unit in sorted(Unit, reverse=True):
        if minutes % unit == 0:
            return unit.amount(minutes // unit)
    return Unit.MINUTE.amount(minutes)  # pragma: no cover - a minute divides every count


def describe_days(days: int) -> str:
    """A rhythm of ``days`` as people say it: "every week", "every 2 weeks", "every month"."""
    said = describe(timedelta(days=days))
    return "every " + said.removeprefix("1 ") if said.startswith("1 ") else f"every {said}"


_ROUGHLY = (
    (2 * Unit.HOUR, Unit.MINUTE),
    (2 * Unit.DAY, Unit.HOUR),
    (2 * Unit.WEEK, Unit.DAY),
    (2 * Unit.MONTH, Unit.WEEK),
)


def elapsed(span: timedelta) -> str:
    """Time that has passed, in a unit a person would use, rounded down: "15 minutes",
    "3 hours", "10 days", "6 weeks", "20 months"."""
    minutes = int(span.total_seconds() // 60)
    if minutes <= 0:
        return "less than a minute"
    for below, unit in _ROUGHLY:
        if minutes < below:
            return unit.amount(minutes // unit)
    return Unit.MONTH.amount(minutes // Unit.MONTH)


def ago(span: timedelta) -> str:
    """How long ago: "5 minutes ago", "3 hours ago", "just now"."""
    return "just now" if span < timedelta(minutes=1) else f"{elapsed(span)} ago"


LONGEST_PHRASE = 4
"""Words one duration may take when typed unquoted: "every 2 weeks", "2 weeks 3 days"."""


def phrase_length(words: Sequence[str]) -> int:
    """How many of ``words`` (from the first) make one duration as typed without quotes:
    3 for ``every 2 weeks buddies``, 2 for ``1 month --name x``, else 1. Only the shape is
    checked (a number and a unit word we know, or a unit we refuse with a suggestion), so a
    span that is then refused is refused whole, with its own sentence."""
    for count in range(min(LONGEST_PHRASE, len(words)), 1, -1):
        taken = words[:count]
        if any(w.startswith("--") for w in taken):
            continue
        if _shaped(" ".join(" ".join(taken).lower().split())):
            return count
    return 1


def _shaped(cleaned: str) -> bool:
    cleaned = cleaned.removeprefix("every ")
    if _in_parts(cleaned):
        return True
    match = _PHRASE.match(cleaned)
    if match is None:
        return False
    word, unit = match.group("word"), match.group("unit")
    known = unit in _UNITS or unit in _OTHER_UNITS or unit in _SECONDS
    return known and (word is None or word in _NUMBERS)
