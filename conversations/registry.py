"""One registry, built at start-up: what the engine can do, gathered from the features.

Each feature declares its verbs, button actions, forms, renderers, timed jobs,
personal-data hooks and what free text gets next to the code that handles them, with the
decorators below.
A decorator only labels the function it decorates: nothing is registered anywhere by
importing a module. :meth:`Registry.discover` walks ``conversations.features`` at start-up
and collects every labelled function into one object, which the engine, the planner, the
dispatcher and ``help`` read. Adapters add what only they know (the personal-data hooks for
their own tables) with :meth:`Registry.add_personal_data` before the engine runs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.arguments import Option, Param, Signature
from conversations.curriculum import Library
from conversations.grouping import Header
from conversations.messages import Message

if TYPE_CHECKING:
    from conversations.arguments import Args
    from conversations.context import Context, EngineSettings, Reply
    from conversations.rendering import Job
    from storage.models import Person

Handler = Callable[["Context", "Args"], Awaitable["Reply"]]
Action = Callable[["Context", str, dict[str, str]], Awaitable["Reply"]]
"""A button or form handler: (context, the button's value, the form's values)."""
FormBuilder = Callable[["Context", str], Awaitable[Message | None]]
"""Rebuild a form for a submit action and value (platforms that open forms separately)."""
Renderer = Callable[["Job"], Awaitable[Message | None]]
"""Build a planned message when it is sent, or None when it is no longer needed."""

F = TypeVar("F", bound=Callable[..., Any])
_LABEL = "__mentorbot_declarations__"


@dataclass(frozen=True, slots=True)
class Verb:
    name: str
    summary: str
    handler: Handler
    signature: Signature
    """What it takes: its parsing, its refusals and its usage line come from this."""
    role: str | None = None
    """The workspace role needed (None: anyone)."""
    group: str = "Taking part"

    @property
    def usage(self) -> str:
        """``pair @mentor @mentee <program> [--why "..."]``, made from the declaration."""
        return self.signature.usage

    @property
    def flags(self) -> frozenset[str]:
        """Options that take a value (``--department IT``)."""
        return self.signature.flags

    @property
    def switches(self) -> frozenset[str]:
        """Options that take no value (``--skip-invalid``)."""
        return self.signature.switches


@dataclass(frozen=True, slots=True)
class Tick:
    """What a timed job gets: one transaction, the time, the curricula and the settings."""

    session: AsyncSession
    now: datetime
    library: Library
    settings: EngineSettings
    registry: Registry
    shared: dict[str, Any] = field(default_factory=dict)
    """What several jobs of one tick read alike (the running programmes), read once."""


TimedRun = Callable[[Tick], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class TimedJob:
    """Work the planner runs on every tick, in ``order``; returns how much it did."""

    name: str
    order: int
    run: TimedRun


@dataclass(frozen=True, slots=True)
class Forgetting:
    """What a forget hook needs to forget one person (``forget-me``), in the caller's
    transaction, before the person's own row is replaced by a placeholder."""

    session: AsyncSession
    person: Person
    platform_user_id: str
    """Their platform id as it was (the placeholder gets a new one)."""
    pair_ids: Sequence[int]
    """Their pairs that are kept (as anonymous history): messages to these are theirs too."""
    names: re.Pattern[str] | None
    """Whole-word matches of how they were named and mailed; None when they had no name.
    Only for spelling their mentions inside rows found by id (``scrub_mentions``)."""
    now: datetime
    ended: list[int] = field(default_factory=list)
    """Pairs a hook ended because of this (the reply counts them)."""
    after: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """What to do once the person's row is a placeholder and every hook has run: notices to
    others, which no later hook's rewriting of names may touch."""


HomeSection = Callable[["Context"], Awaitable[list[Message]]]
"""Part of a person's home screen (the Slack App Home; ``home`` elsewhere)."""
Overview = Callable[["Context"], Message]
"""What an empty command shows: what this person can ask."""


@dataclass(frozen=True, slots=True)
class FreeText:
    """Something a person wrote that names no command: a reply, a greeting, a question."""

    text: str
    """What they wrote, cleaned (``conversations.inbound``), without a leading ``/mentor``."""
    words: tuple[str, ...]
    """Its words, split at spaces whatever its quotes (``grammar.loose_words``)."""
    direct: bool
    """Written in a private chat with the bot (its DM, its personal chat, the console),
    where free text is conversation; False for a slash command or a channel."""


Conversation = Callable[["Context", FreeText], Awaitable["Reply | None"]]
"""What free text gets; None leaves it to the engine's "I don't know the command"."""
Unreachable = Callable[[AsyncSession, "Person", datetime], Awaitable[None]]
"""Told when the platform says someone can no longer be reached."""

Condition = Callable[[AsyncSession, Mapping[str, Any]], Awaitable[str | None]]
"""Whether a queued message's hold still holds: None if so, else why not, in words a
coordinator reads in the outbox ("the pairing has ended")."""

Export = Callable[[AsyncSession, "Person"], Awaitable[Any]]
"""Everything one hook's tables hold about a person, for ``my-data`` (JSON-safe)."""
Forget = Callable[[Forgetting], Awaitable[None]]
"""Delete or blank what one hook's tables hold about a person (``forget-me``)."""
Purge = Callable[[AsyncSession, datetime, timedelta], Awaitable[int]]
"""Delete what one hook's tables keep past its retention (the third argument: how long
closed programmes' words are kept); returns how many rows."""


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Where some personal data lives and how it is exported, forgotten and purged."""

    name: str
    """Also the heading of its part of a ``my-data`` copy."""
    export: Export | None = None
    forget: Forget | None = None
    purge: Purge | None = None
    order: int = 50
    """Hooks run, and a copy lists them, in this order (then by name)."""


@dataclass(frozen=True, slots=True)
class _Declared:
    kind: str
    name: str
    details: dict[str, Any] = field(default_factory=dict)


def _label(function: F, declared: _Declared) -> F:
    labels: list[_Declared] = list(getattr(function, _LABEL, ()))
    labels.append(declared)
    setattr(function, _LABEL, tuple(labels))
    return function


def verb(
    name: str,
    *,
    summary: str,
    arguments: Sequence[Param] = (),
    options: Sequence[Option] = (),
    note: str = "",
    role: str | None = None,
    group: str = "Taking part",
) -> Callable[[Handler], Handler]:
    """Declare a typed command (``/mentor <name> …``) and what it takes: its positional
    ``arguments`` in order and its ``--options`` (see :mod:`conversations.arguments`), from
    which its parsing, refusals and usage line are made; ``note`` follows the usage line."""
    signature = Signature(name, params=tuple(arguments), options=tuple(options), note=note)
    details = {"summary": summary, "role": role, "group": group, "signature": signature}
    return lambda handler: _label(handler, _Declared("verb", name, details))


def action(name: str) -> Callable[[Action], Action]:
    """Declare what a button or form with this action name does."""
    return lambda handler: _label(handler, _Declared("action", name))


def form(name: str) -> Callable[[FormBuilder], FormBuilder]:
    """Declare how to rebuild the form whose submit button has this action."""
    return lambda builder: _label(builder, _Declared("form", name))


def renders(kind: str, *, grouped: Header | None = None) -> Callable[[Renderer], Renderer]:
    """Declare the renderer of planned outbox rows of this kind.

    ``grouped``: rows of this kind to one person that fall due together are delivered as
    one card with this header for ``n`` of them (``lambda n: f"{n} pairs may need a
    hand"``), a line and buttons for each (see :mod:`conversations.grouping`)."""
    details = {"grouped": grouped}
    return lambda renderer: _label(renderer, _Declared("renderer", str(kind), details))


def timed(name: str, *, order: int) -> Callable[[TimedRun], TimedRun]:
    """Declare a job the planner runs on every tick; lower ``order`` runs first."""
    return lambda run: _label(run, _Declared("job", name, {"order": order}))


def home(*, order: int) -> Callable[[HomeSection], HomeSection]:
    """Declare a part of the home screen; lower ``order`` shows first."""
    return lambda section: _label(
        section, _Declared("home", section.__qualname__, {"order": order})
    )


def overview(function: Overview) -> Overview:
    """Declare what an empty command shows (one feature does: help)."""
    return _label(function, _Declared("overview", "overview"))


def free_text(function: Conversation) -> Conversation:
    """Declare what free text gets: words that name no command (one feature does)."""
    return _label(function, _Declared("free_text", "free_text"))


def when_unreachable(function: Unreachable) -> Unreachable:
    """Declare what happens when the platform says someone can no longer be reached."""
    return _label(function, _Declared("unreachable", function.__qualname__))


def condition(name: str) -> Callable[[Condition], Condition]:
    """Declare the check behind ``Hold(name, …)`` (see :mod:`conversations.holds`)."""
    return lambda check: _label(check, _Declared("condition", name))


def personal_data(
    name: str, *, forget: Forget | None = None, purge: Purge | None = None, order: int = 50
) -> Callable[[Export], Export]:
    """Declare what some tables hold about a person: the decorated function exports it for
    ``my-data`` under ``name``; ``forget`` and ``purge`` delete it (``forget-me``, retention)."""
    return lambda export: _label(
        export,
        _Declared("personal_data", name, {"forget": forget, "purge": purge, "order": order}),
    )


def forgets(
    name: str, *, purge: Purge | None = None, order: int = 50
) -> Callable[[Forget], Forget]:
    """Declare personal data that ``my-data`` leaves out (it concerns others too, such as
    who asked not to be paired with whom) but that ``forget-me`` deletes."""
    return lambda forget: _label(
        forget, _Declared("forgets", name, {"purge": purge, "order": order})
    )


class DuplicateDeclaration(RuntimeError):
    """Two features declared the same verb, action, form, renderer, job or hook."""


@dataclass(slots=True)
class Registry:
    """Everything the engine can do, by name."""

    verbs: dict[str, Verb] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    forms: dict[str, FormBuilder] = field(default_factory=dict)
    renderers: dict[str, Renderer] = field(default_factory=dict)
    groups: dict[str, Header] = field(default_factory=dict)
    """The kinds whose rows to one person travel together, and the header of their card."""
    jobs: list[TimedJob] = field(default_factory=list)
    personal_data: list[PersonalData] = field(default_factory=list)
    conditions: dict[str, Condition] = field(default_factory=dict)
    home: list[tuple[int, HomeSection]] = field(default_factory=list)
    overview: Overview | None = None
    conversation: Conversation | None = None
    unreachable: list[Unreachable] = field(default_factory=list)

    @classmethod
    def discover(cls, package: str = "conversations.features") -> Registry:
        """The registry of every feature under ``package`` (each module imported once)."""
        registry = cls()
        for module in _modules(package):
            registry.collect(module)
        return registry

    def collect(self, module: ModuleType) -> None:
        """Add every declaration made in ``module`` (functions defined there)."""
        for value in vars(module).values():
            if getattr(value, "__module__", None) != module.__name__:
                continue  # imported from elsewhere: collected where it is defined
            for declared in getattr(value, _LABEL, ()):
                self._add(declared, value)

    def _add(self, declared: _Declared, function: Any) -> None:
        name, details = declared.name, declared.details
        if declared.kind == "verb":
            _unique(self.verbs, name, "verb")
            self.verbs[name] = Verb(name=name, handler=function, **details)
        elif declared.kind == "action":
            _unique(self.actions, name, "action")
            self.actions[name] = function
        elif declared.kind == "form":
            _unique(self.forms, name, "form")
            self.forms[name] = function
        elif declared.kind == "renderer":
            _unique(self.renderers, name, "renderer")
            self.renderers[name] = function
            if details.get("grouped") is not None:
                self.groups[name] = details["grouped"]
        elif declared.kind == "condition":
            _unique(self.conditions, name, "condition")
            self.conditions[name] = function
        elif declared.kind == "job":
            if any(job.name == name for job in self.jobs):
                raise DuplicateDeclaration(f"two timed jobs are called {name}")
            self.jobs.append(TimedJob(name=name, order=details["order"], run=function))
            self.jobs.sort(key=lambda job: (job.order, job.name))
        elif declared.kind == "home":
            self.home.append((details["order"], function))
            self.home.sort(key=lambda entry: entry[0])
        elif declared.kind == "overview":
            if self.overview is not None:
                raise DuplicateDeclaration("two features declare the overview")
            self.overview = function
        elif declared.kind == "free_text":
            if self.conversation is not None:
                raise DuplicateDeclaration("two features declare what free text gets")
            self.conversation = function
        elif declared.kind == "unreachable":
            self.unreachable.append(function)
        elif declared.kind == "personal_data":
            self.add_personal_data(PersonalData(name=name, export=function, **details))
        elif declared.kind == "forgets":
            self.add_personal_data(PersonalData(name=name, forget=function, **details))

    def add_personal_data(self, hook: PersonalData) -> None:
        """Add where some personal data lives (adapters add their own tables' hooks)."""
        if any(existing.name == hook.name for existing in self.personal_data):
            raise DuplicateDeclaration(f"two personal-data hooks are called {hook.name}")
        self.personal_data.append(hook)
        self.personal_data.sort(key=lambda each: (each.order, each.name))

    def find(self, words: list[str]) -> tuple[Verb | None, list[str]]:
        """The verb named by the first one or two words, and the words after it."""
        lowered = [w.lower() for w in words]
        if len(lowered) >= 2 and f"{lowered[0]} {lowered[1]}" in self.verbs:
            return self.verbs[f"{lowered[0]} {lowered[1]}"], words[2:]
        if lowered and lowered[0] in self.verbs:
            return self.verbs[lowered[0]], words[1:]
        return None, words

    def family(self, word: str) -> list[Verb]:
        """The two-word verbs that start with ``word`` (``program`` → ``program create``…)."""
        prefix = f"{word.lower()} "
        return [v for v in self.verbs.values() if v.name.startswith(prefix)]


def _unique(table: dict[str, Any], name: str, what: str) -> None:
    if name in table:
        raise DuplicateDeclaration(f"two features declare the {what} {name!r}")


def _modules(package: str) -> Iterator[ModuleType]:
    """Every module under ``package``: each feature (ordered by its ``ORDER``, then name)
    with its modules by name, so help lists verbs in the same order on every start."""
    root = importlib.import_module(package)
    features = [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(getattr(root, "__path__", ()), prefix=f"{package}.")
        if info.ispkg
    ]
    features.sort(key=lambda f: (getattr(f, "ORDER", 100), f.__name__))
    for feature in features:
        yield feature
        paths: Iterable[str] = getattr(feature, "__path__", ())
        found = pkgutil.walk_packages(paths, prefix=f"{feature.__name__}.")
        for info in sorted(found, key=lambda i: i.name):
            yield importlib.import_module(info.name)
