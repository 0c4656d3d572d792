"""What each verb takes, declared once: parsing, refusals and the usage line come from it.

A verb lists its arguments in ``@verb(..., arguments=(...), options=(...))`` with the
factories below: positionals (a word, a programme key, an @person, a #channel, a whole
number with bounds, one of a few choices, a duration, a date, free text), optional and
repeated ones, and ``--options`` that take a typed value or none (switches). From that one
declaration come

* the usage line ``help <verb>`` and every refusal show (``checkin <1-5> ["a private
  note"] [program]``), so what we say and what we accept cannot drift apart;
* the parsing: which word goes to which argument, its type, choices and bounds, missing and
  extra words, unknown options and an option without its value, each refused in a sentence a
  person can act on, with the usage line;
* the handler's :class:`Args`: typed values by name (``args.program``, ``args.rating``), never
  words by position.

Which word is which is decided by shape: when optional arguments compete for fewer words
than they could take, the arrangement that gives the most words to arguments that recognise
them (a choice, an @person, a #channel, a number, a date) wins, then the one that fills the
earliest. ``met buddies`` is the programme; ``met yes`` the answer; ``conduct agree`` agrees.
What can only be told against the database (is this word a programme here?) stays with the
handler, which resolves names with :class:`~conversations.context.Context` as before.
"""

from __future__ import annotations

import enum
import re
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import product
from typing import Any

from conversations import durations
from conversations.errors import UserError
from conversations.grammar import channel_ref, parse_args, person_ref
from conversations.inbound import MAX_ROW_ID, whole_number

MAX_TEXT = 2000
"""Free text longer than this is refused unless an argument says otherwise."""
_SHOWN = 40
"""How much of a refused word a refusal repeats."""


class Type(enum.StrEnum):
    WORD = "word"
    PROGRAMME = "programme"
    PERSON = "person"
    CHANNEL = "channel"
    NUMBER = "number"
    CHOICE = "choice"
    DURATION = "duration"
    DAY = "day"
    TEXT = "text"


_RECOGNISING = frozenset({Type.PERSON, Type.CHANNEL, Type.NUMBER, Type.CHOICE, Type.DURATION})
"""Types that can tell their own words from others' (a day and a pattern-checked word too)."""
_PLACEHOLDERS = frozenset({Type.WORD, Type.PROGRAMME, Type.NUMBER, Type.DURATION, Type.DAY})
"""Types whose usage names a place (``<program>``) rather than what to type (``@mentor``)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One argument: where its value comes from, what it must look like, how usage shows it."""

    name: str
    """The value's name on :class:`Args` (an option's ``--choice-window`` is ``choice_window``)."""
    type: Type
    label: str
    """What the usage line shows: ``program``, ``@mentor``, ``mentor|mentee``, ``1-5``."""
    optional: bool = False
    repeated: bool = False
    """One or more words, given to the handler as a list."""
    rest: bool = False
    """One or more words, given to the handler joined by spaces (free text)."""
    most: int | None = None
    """At most this many words for a repeated or rest argument."""
    joined: bool = False
    """Given only together with the optional argument before it (``quiet add <date>``)."""
    anywhere: bool = False
    """An optional argument whose word may come anywhere among the others (an optional
    person, mentioned with @: ``met buddies @ben`` as well as ``met @ben buddies``)."""
    low: int = 0
    high: int = MAX_ROW_ID
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Other spellings a choice (or an ``also`` word) accepts, to the one they mean
    (``no`` → ``not-yet``, ``stop`` → ``off``)."""
    also: tuple[str, ...] = ()
    """Words accepted instead of a value, given as themselves (``all``, ``off``)."""
    pattern: re.Pattern[str] | None = None
    longest: int = MAX_TEXT
    problem: str | None = None
    """The refusal when a word does not fit; ``{word}`` is the word as typed."""
    read: Callable[[str], Any] | None = None
    """A reading of its own (raising ``ValueError``) instead of the type's."""
    default: Any = None

    @property
    def attribute(self) -> str:
        return self.name.replace("-", "_")

    def shown(self) -> str:
        """This argument in a usage line: ``<program>``, ``[program|all]``, ``@mentee``."""
        core = self.inner() if not self.optional else self.label
        if self.also:
            core = "|".join((core, *self.also))
        if self.repeated:
            core = f"{core}…"
        return f"[{core}]" if self.optional else core

    def inner(self) -> str:
        """The label as a required argument shows it: a place in angle brackets
        (``<program>``), what to type as it is (``@mentor``, ``mentor|mentee``, ``08:00``)."""
        placeholder = self.type in _PLACEHOLDERS and self.pattern is None
        return f"<{self.label}>" if placeholder else self.label

    def recognises(self, word: str) -> bool:
        """Whether ``word`` is shaped like this argument (for telling arguments apart)."""
        if word.strip().lower() in self.also or self.aliases.get(word.strip().lower()) in self.also:
            return True
        if self.pattern is not None:
            return self.pattern.match(word) is not None
        if self.type == Type.PERSON:
            mentioned = word.startswith(("@", "<@"))
            return person_ref(word) is not None and (mentioned or not self.optional)
        if self.type == Type.DAY:
            return _DAY_SHAPE.match(word) is not None
        if self.type not in _RECOGNISING:
            return True
        try:
            self.value(word)
        except UserError:
            return False
        return True

    @property
    def joins(self) -> bool:
        """Whether the words this argument takes make one value, joined by spaces (free
        text, or a duration typed without quotes: ``snooze 30 minutes``)."""
        return self.rest or self.type == Type.DURATION

    @property
    def picky(self) -> bool:
        """Whether this argument recognises only some words (so giving it one says more)."""
        return self.type in _RECOGNISING or self.type == Type.DAY or self.pattern is not None

    def value(self, word: str) -> Any:
        """``word`` read as this argument's type, or a refusal saying what would fit."""
        lowered = word.strip().lower()
        if lowered in self.also:
            return lowered
        if self.aliases.get(lowered) in self.also:
            return self.aliases[lowered]
        if self.pattern is not None and not self.pattern.match(word):
            raise self.refusal(word, f"'{{word}}' doesn't fit here; write {self.label}.")
        if self.read is not None:
            try:
                return self.read(word)
            except ValueError as exc:
                raise self.refusal(word, str(exc)) from None
        reader = _READERS[self.type]
        return reader(self, word)

    def refusal(self, word: str, fallback: str) -> UserError:
        """This argument's own refusal (``problem``) or ``fallback``, naming the word."""
        shown = word if len(word) <= _SHOWN else word[:_SHOWN] + "…"
        return UserError((self.problem or fallback).replace("{word}", shown))


def _word(param: Param, word: str) -> str:
    if len(word) > param.longest:
        raise param.refusal(word, f"'{{word}}' is too long for {param.label}.")
    return word


def _programme(param: Param, word: str) -> str:
    if len(word) > param.longest:
        raise param.refusal(word, "I can't find a programme called '{word}'.")
    return word


def _person(param: Param, word: str) -> str:
    if person_ref(word) is None:
        raise param.refusal(word, "'{word}' doesn't look like a person. Mention them with @.")
    return word


def _channel(param: Param, word: str) -> str:
    if channel_ref(word) is None:
        raise param.refusal(
            word, "'{word}' doesn't look like a channel. Mention it with #, e.g. #general."
        )
    return word


def _number(param: Param, word: str) -> int:
    number = whole_number(word.lstrip("#"), most=param.high)
    if number is None or number < param.low:
        raise param.refusal(
            word, f"'{{word}}' isn't a whole number from {param.low:,} to {param.high:,}."
        )
    return number


def _choice(param: Param, word: str) -> str:
    lowered = word.strip().lower()
    if lowered in param.choices:
        return lowered
    if lowered in param.aliases:
        return param.aliases[lowered]
    raise param.refusal(word, f"'{{word}}' isn't {_either(param.choices)}.")


def _duration(param: Param, word: str) -> Any:
    try:
        return durations.parse_delta(word)
    except ValueError as exc:
        raise param.refusal(word, str(exc)) from None


_DAY_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _day(param: Param, word: str) -> date:
    try:
        return datetime.strptime(word.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise param.refusal(
            word, "'{word}' isn't a date; write it as YYYY-MM-DD, e.g. 2026-12-25."
        ) from None


def _text(param: Param, word: str) -> str:
    if len(word) > param.longest:
        what = param.label.strip('"')
        raise param.refusal(word, f"Keep {what} under {param.longest:,} characters.")
    return word


_READERS: dict[Type, Callable[[Param, str], Any]] = {
    Type.WORD: _word,
    Type.PROGRAMME: _programme,
    Type.PERSON: _person,
    Type.CHANNEL: _channel,
    Type.NUMBER: _number,
    Type.CHOICE: _choice,
    Type.DURATION: _duration,
    Type.DAY: _day,
    Type.TEXT: _text,
}


def _either(choices: Sequence[str]) -> str:
    if len(choices) <= 1:
        return "".join(choices)
    return f"{', '.join(choices[:-1])} or {choices[-1]}"


# -- declaring ------------------------------------------------------------------------------


def word(
    name: str,
    *,
    label: str | None = None,
    optional: bool = False,
    joined: bool = False,
    pattern: str | None = None,
    problem: str | None = None,
    longest: int = 200,
    read: Callable[[str], Any] | None = None,
) -> Param:
    """A plain word (a key, a name), optionally with a shape it must have or a reading of
    its own (``read``, raising ``ValueError`` with a sentence for the person)."""
    return Param(
        name,
        Type.WORD,
        label or name,
        optional=optional,
        joined=joined,
        pattern=re.compile(pattern) if pattern else None,
        problem=problem,
        longest=longest,
        read=read,
    )


def programme(
    name: str = "program", *, optional: bool = False, also: tuple[str, ...] = ()
) -> Param:
    """A programme's key; the handler finds it with ``ctx.programme``."""
    return Param(name, Type.PROGRAMME, "program", optional=optional, also=also, longest=200)


def person(
    name: str = "person",
    *,
    label: str | None = None,
    optional: bool = False,
    anywhere: bool = False,
) -> Param:
    """Someone named the way platforms send them (``<@U1|ana>``, ``@ana``); the handler
    finds them with ``ctx.person``. An optional person must be mentioned with @; with
    ``anywhere``, the mention may come before or after the other words."""
    return Param(name, Type.PERSON, label or f"@{name}", optional=optional, anywhere=anywhere)


def channel(name: str = "channel", *, optional: bool = False) -> Param:
    """A channel (``<#C1|general>``, ``#general``), given as typed (``channel_ref`` reads
    its id), so a reply can name it the way the platform shows it."""
    return Param(name, Type.CHANNEL, "#channel", optional=optional)


def number(
    name: str,
    *,
    low: int = 0,
    high: int = MAX_ROW_ID,
    label: str | None = None,
    optional: bool = False,
    also: tuple[str, ...] = (),
    problem: str | None = None,
    read: Callable[[str], int] | None = None,
) -> Param:
    """A whole number in ASCII digits from ``low`` to ``high`` (a leading # is allowed)."""
    return Param(
        name,
        Type.NUMBER,
        label or name,
        optional=optional,
        low=low,
        high=high,
        also=also,
        problem=problem,
        read=read,
    )


def choice(
    name: str,
    *choices: str,
    label: str | None = None,
    optional: bool = False,
    joined: bool = False,
    aliases: Mapping[str, str] | None = None,
    problem: str | None = None,
    default: str | None = None,
) -> Param:
    """One of a few words (any case), given to the handler as the choice it names."""
    return Param(
        name,
        Type.CHOICE,
        label or "|".join(choices),
        optional=optional,
        joined=joined,
        choices=tuple(choices),
        aliases=dict(aliases or {}),
        problem=problem,
        default=default,
    )


def duration(
    name: str,
    *,
    label: str = "30m|2d|1w|1mo…",
    optional: bool = False,
    also: tuple[str, ...] = (),
    aliases: Mapping[str, str] | None = None,
    problem: str | None = None,
    days: str | None = None,
) -> Param:
    """A span such as ``30 minutes``, ``1w``, ``3d`` or ``2mo``, given as a ``timedelta``
    (read by :mod:`conversations.durations`, typed with or without quotes).

    ``days`` names a place counted in whole days ("The choice window"): minutes and
    hours are refused there in a sentence naming it, never rounded.
    """
    read: Callable[[str], Any] | None = None
    if days is not None:
        what = days

        def read(word: str) -> timedelta:
            return timedelta(days=durations.parse_whole_days(word, what=what))

    return Param(
        name,
        Type.DURATION,
        label,
        optional=optional,
        also=also,
        aliases=dict(aliases or {}),
        problem=problem,
        read=read,
    )


def rhythm(name: str, *, label: str = '"every 2 weeks"', optional: bool = False) -> Param:
    """How often something comes, in whole days (``every 2 weeks``, ``weekly``, ``1 month``),
    given as an ``int`` of days; minutes and hours are refused."""
    return Param(name, Type.DURATION, label, optional=optional, read=durations.parse_days)


def day(
    name: str,
    *,
    label: str = "YYYY-MM-DD",
    optional: bool = False,
    joined: bool = False,
    problem: str | None = None,
) -> Param:
    """A calendar date written YYYY-MM-DD, given as a ``date``."""
    return Param(name, Type.DAY, label, optional=optional, joined=joined, problem=problem)


def text(
    name: str,
    *,
    label: str,
    optional: bool = False,
    rest: bool = False,
    most: int | None = None,
    longest: int = MAX_TEXT,
    problem: str | None = None,
) -> Param:
    """Free text: one quoted word, or with ``rest`` every word left (joined by spaces)."""
    return Param(
        name,
        Type.TEXT,
        label,
        optional=optional,
        rest=rest,
        most=most,
        longest=longest,
        problem=problem,
    )


def repeated(param: Param, *, most: int | None = None) -> Param:
    """``param`` taking one or more words, given to the handler as a list."""
    return Param(**{**_fields(param), "repeated": True, "most": most})


def _fields(param: Param) -> dict[str, Any]:
    return {name: getattr(param, name) for name in Param.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Option:
    """A ``--name value`` option (``value`` says its type), or a switch (no value)."""

    value: Param | None
    name: str
    label: str
    needed: bool = False
    """Shown without brackets: the verb cannot work without it (the handler asks for it,
    naming what it may be, when it is missing)."""

    @property
    def attribute(self) -> str:
        return self.name.replace("-", "_")

    def shown(self) -> str:
        said = f"--{self.name}" + (f" {self.label}" if self.value is not None else "")
        return said if self.needed else f"[{said}]"


def flag(value: Param, *, label: str | None = None, needed: bool = False) -> Option:
    """An option ``--<value.name> <value>``: ``flag(number("limit", low=1, high=200))``."""
    return Option(value=value, name=value.name, label=label or value.label, needed=needed)


def switch(name: str) -> Option:
    """An option that takes no value (``--skip-invalid``): True when given."""
    return Option(value=None, name=name, label="")


# -- the signature of one verb ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    """Everything a verb takes, in order; built by ``@verb`` from its declaration."""

    verb: str
    params: tuple[Param, ...] = ()
    options: tuple[Option, ...] = ()
    note: str = ""
    """Said after the usage line, e.g. ``(with a CSV file attached)``."""

    def __post_init__(self) -> None:
        names = [p.attribute for p in self.params] + [o.attribute for o in self.options]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.verb}: two arguments have the same name")
        for before, param in zip((None, *self.params), self.params, strict=False):
            if param.joined and (before is None or not before.optional or not param.optional):
                raise ValueError(f"{self.verb}: {param.name} joins an optional argument")
            if (param.repeated or param.rest) and param is not self.params[-1]:
                raise ValueError(f"{self.verb}: only the last argument may take many words")
            single = not (param.repeated or param.rest or param.joined)
            if param.anywhere and not (param.optional and param.picky and single):
                raise ValueError(
                    f"{self.verb}: only an optional argument of one word that recognises "
                    "its own words may come anywhere"
                )

    @property
    def usage(self) -> str:
        """The usage line, e.g. ``pair @mentor @mentee <program> [--why "..."]``."""
        parts = [self.verb]
        for param in self.params:
            shown = param.shown()
            if param.joined:  # inside the brackets of the argument it comes with
                parts[-1] = parts[-1].removesuffix("]") + f" {param.inner()}]"
            else:
                parts.append(shown)
        parts += [option.shown() for option in self.options]
        line = " ".join(parts)
        return f"{line}  {self.note}" if self.note else line

    @property
    def flags(self) -> frozenset[str]:
        """The options that take a value."""
        return frozenset(o.name for o in self.options if o.value is not None)

    @property
    def switches(self) -> frozenset[str]:
        return frozenset(o.name for o in self.options if o.value is None)

    def parse(self, words: list[str]) -> Args:
        """The words after the verb as named, typed values, or a refusal with the usage."""
        usage = self.usage
        words = self._grouped(words)
        tokens = parse_args(words, allowed_flags=self.flags, switches=self.switches, usage=usage)
        written: dict[str, list[str]] = {}
        try:
            values = self._positionals(tokens.words, written)
            given: dict[str, Any] = {}
            for option in self.options:
                if option.name not in tokens.flags:
                    values[option.attribute] = None if option.value is not None else False
                    continue
                raw = tokens.flags[option.name]
                if option.value is None:
                    values[option.attribute] = raw.strip().lower() not in _OFF
                else:
                    values[option.attribute] = option.value.value(raw)
                given[option.name] = values[option.attribute]
        except UserError as refusal:
            raise UserError(refusal.message, usage=refusal.usage or usage) from None
        return Args(values, given, written=written, flags=tokens.flags)

    def _grouped(self, words: list[str]) -> list[str]:
        """The words with each duration option's value as one word, however many it was
        typed as (``--cadence every 2 weeks``, ``--choice-window 3 days``)."""
        spans = {f"--{o.name}" for o in self.options if o.value and o.value.type == Type.DURATION}
        if not spans:
            return words
        grouped: list[str] = []
        position = 0
        while position < len(words):
            word = words[position]
            grouped.append(word)
            position += 1
            if word.lower() in spans and position < len(words):
                count = durations.phrase_length(words[position:])
                grouped.append(" ".join(words[position : position + count]))
                position += count
        return grouped

    def line(
        self,
        args: Args,
        instead: Mapping[str, str | None] | None = None,
        *,
        quote: Callable[[str], str] = shlex.quote,
    ) -> str:
        """The command that gives ``args`` again, as a person would type it, with some
        arguments given ``instead`` (a word, or None to leave it out): what a button that
        runs the command once more carries (``met yes`` + a partner: ``met yes '<@U2|Ben>'``).
        Splitting it gives back the same words, so it parses to the same arguments (with
        ``quote`` other than ``shlex.quote``, it is for showing, not for running)."""
        instead = instead or {}
        unknown = set(instead) - {param.attribute for param in self.params}
        if unknown:
            raise ValueError(f"{self.verb} has no argument called {sorted(unknown)}")
        parts = [self.verb]
        for param in self.params:
            if param.attribute in instead:
                chosen = instead[param.attribute]
                taken = [chosen] if chosen is not None else []
            else:
                taken = args.as_written(param.attribute)
            parts += [quote(word) for word in taken]
        for option in self.options:
            raw = args.flag_as_written(option.name)
            if raw is not None:
                bare = option.value is None and raw == "yes"
                parts.append(quote(f"--{option.name}" if bare else f"--{option.name}={raw}"))
        return " ".join(parts)

    def _positionals(self, words: list[str], written: dict[str, list[str]]) -> dict[str, Any]:
        # An argument that may come anywhere takes the first word it recognises, wherever
        # it is; the others are arranged without it.
        placed: dict[str, str] = {}
        for param in self.params:
            if param.anywhere:
                found = next((w for w in words if param.recognises(w)), None)
                if found is not None:
                    placed[param.attribute] = found
                    words = list(words)
                    words.remove(found)
        counts = self._arrangement(words, strict=True, placed=placed) or self._arrangement(
            words, strict=False, placed=placed
        )
        if counts is None:
            raise UserError(f"That's not quite how {self.verb} works.")
        values: dict[str, Any] = {}
        position = 0
        for param, count in zip(self.params, counts, strict=True):
            if param.attribute in placed:
                written[param.attribute] = [placed[param.attribute]]
                values[param.attribute] = param.value(placed[param.attribute])
                continue
            taken = words[position : position + count]
            written[param.attribute] = taken
            position += count
            if not taken:
                values[param.attribute] = _empty(param)
            elif param.repeated:
                values[param.attribute] = [param.value(w) for w in taken]
            elif param.joins:
                values[param.attribute] = param.value(" ".join(taken))
            else:
                values[param.attribute] = param.value(taken[0])
        return values

    def _arrangement(
        self, words: list[str], *, strict: bool, placed: Mapping[str, str]
    ) -> tuple[int, ...] | None:
        """How many words each argument takes: the best arrangement that fits, or None
        (an argument already ``placed`` takes none of ``words``)."""
        best: tuple[tuple[int, tuple[bool, ...]], tuple[int, ...]] | None = None
        for counts in self._counts(len(words), placed):
            if not self._fits(words, counts, strict=strict):
                continue
            filled = tuple(c > 0 for c in counts)
            picky = sum(c for param, c in zip(self.params, counts, strict=True) if param.picky)
            score = (picky, filled)
            if best is None or score > best[0]:
                best = (score, counts)
        return best[1] if best else None

    def _counts(self, total: int, placed: Mapping[str, str]) -> Iterator[tuple[int, ...]]:
        choices = []
        for param in self.params:
            if param.attribute in placed:
                choices.append(range(0, 1))
                continue
            least = 0 if param.optional else 1
            most = 1 if not (param.repeated or param.rest) else (param.most or max(total, 1))
            if param.type == Type.DURATION:
                most = durations.LONGEST_PHRASE
            choices.append(range(least, min(most, total) + 1))
        for counts in product(*choices):
            if sum(counts) == total:
                yield counts

    def _fits(self, words: list[str], counts: tuple[int, ...], *, strict: bool) -> bool:
        position = 0
        for index, (param, count) in enumerate(zip(self.params, counts, strict=True)):
            if param.joined and (count > 0) != (counts[index - 1] > 0):
                return False
            taken = words[position : position + count]
            position += count
            if param.type == Type.DURATION and taken:
                taken = [" ".join(taken)]
            if strict and not all(param.recognises(w) for w in taken):
                return False
        return True


_OFF = frozenset({"no", "false", "off", "0"})


def _empty(param: Param) -> Any:
    return [] if param.repeated else param.default


class Args:
    """A verb's arguments by name, typed as declared: ``args.program``, ``args.rating``.

    An argument that was not given is None (False for a switch, ``[]`` for a repeated one,
    or its declared default); a name the verb did not declare is an ``AttributeError``.
    """

    __slots__ = ("_flags", "_given", "_values", "_written")

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        given: Mapping[str, Any] | None = None,
        *,
        written: Mapping[str, list[str]] | None = None,
        flags: Mapping[str, str] | None = None,
    ) -> None:
        self._values = dict(values or {})
        self._given = dict(given or {})
        self._written = {name: list(taken) for name, taken in (written or {}).items()}
        self._flags = dict(flags or {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no argument called {name!r}") from None

    @property
    def options(self) -> dict[str, Any]:
        """The ``--options`` given, by name as typed (``choice-window``), with their values."""
        return dict(self._given)

    def as_written(self, name: str) -> list[str]:
        """The words the argument called ``name`` took, as the person wrote them (for
        :meth:`Signature.line`; handlers read the typed value, ``args.<name>``)."""
        return list(self._written.get(name, []))

    def flag_as_written(self, name: str) -> str | None:
        """The option ``--name``'s value as written, ``"yes"`` for a bare switch, or None."""
        return self._flags.get(name)

    def __repr__(self) -> str:
        return f"Args({self._values!r})"
