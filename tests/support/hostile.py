"""Shared pieces of the bad-input suite (``test_hostile_http.py``,
``test_hostile_properties.py``): what hostile text looks like, how to tell that nothing
changed, and how to tell that nothing failed on our side.

"Nothing failed" is read from the log: the engine, bolt and aiohttp all log a failure
of ours at ERROR (the engine's apology, bolt's "Failed to run listener function",
aiohttp's "Error handling request" before a 500), so a bad input that produces no
ERROR record was handled as bad input, not by accident.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import App
from storage.models import Base

SCALE = float(os.environ.get("HOSTILE_EXAMPLES", "1"))
"""Multiplies every property's example count: ``HOSTILE_EXAMPLES=20`` for a long hunt."""
EXPLORE = "HOSTILE_EXAMPLES" in os.environ
"""Derandomised (the same examples every run, so CI never flakes on a new one) unless a
hunt was asked for, which draws fresh examples each time."""


def examples(count: int) -> settings:
    """Hypothesis settings for a property over a function-scoped database fixture."""
    return settings(
        max_examples=max(1, int(count * SCALE)),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# -- hostile text --------------------------------------------------------------------------

ODD_CHARACTERS = [
    "\x00",  # NUL: PostgreSQL refuses it in text and JSON
    "\ud800",  # a lone surrogate: valid in JSON ("\ud800"), not encodable as UTF-8
    "\udfff",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",  # zero-width space
    "\ufeff",  # byte-order mark
    "\u00a0",  # no-break space (the grammar reads it as a space)
    "\r",
    "\n",
    "\t",
    "\x1b",
    "\x7f",
    "“",
    "”",
    "‘",
    "’",
    '"',
    "'",
    "\\",
    "%",
    "&",
    "=",
    "+",
    "<",
    ">",
    "|",
    "🙂",
    "👩🏽‍💻",
    "\U0010ffff",
    "ß",
    "İ",
    "ﬀ",
    "ǅ",
]

pieces = st.one_of(
    st.characters(exclude_categories=()),  # every code point, surrogates included
    st.sampled_from(ODD_CHARACTERS),  # some of them several code points (an emoji sequence)
)
hostile_text = st.lists(pieces, max_size=40).map("".join)

mention = st.builds(
    lambda kind, ident, name: f"<{kind}{ident}|{name}>" if name else f"<{kind}{ident}>",
    st.sampled_from(["@", "#", "!", "@U", "#C"]),
    st.one_of(
        st.text(alphabet="UCWT0123456789abc._:-|>", max_size=12),
        st.integers(min_value=100, max_value=400).map(lambda n: "U" * n),  # past any column
    ),
    st.one_of(st.just(""), hostile_text, st.integers(150, 400).map(lambda n: "n" * n)),
)
amount = st.builds(
    lambda n, unit: f"{n}{unit}",
    st.one_of(st.integers(min_value=-5, max_value=60), st.integers(min_value=0, max_value=10**30)),
    st.sampled_from(["d", "w", "m", "h", " weeks", " days", " months", ""]),
)
word = st.one_of(
    hostile_text,
    mention,
    st.sampled_from(["@maya", "@ana", "@ben", "@nobody", "#general", "buddies", "career"]),
    st.builds(lambda name, value: f"--{name}={value}", st.text(max_size=12), hostile_text),
    st.builds(lambda name: f"--{name}", st.text(max_size=12)),
    st.sampled_from(["--", "-", '"', "'", "“", "--skills", "--timezone", "--capacity"]),
    st.integers().map(str),
    amount,
    st.builds(lambda n: f"every {n} weeks", st.integers(min_value=0, max_value=10**12)),
    st.sampled_from(
        ["1w", "0d", "-3d", "2026-02-30", "9999-12-31", "25:99", "1e9", "NaN", "∞", "²"]
    ),
)


person = st.one_of(
    st.sampled_from(["@ana", "@ben", "@maya", "@cleo", "@dev", "@nobody", "<@U9|Nine>", "ana"]),
    mention,
)
channel = st.one_of(st.sampled_from(["#general", "<#C1|general>", "#"]), mention)
flag_value = st.one_of(
    word,
    st.sampled_from(["new-hire-buddy", "proposal", "choice", "cross", "Europe/London"]),
    st.builds(" ".join, st.lists(word, min_size=2, max_size=3)),
)
_TOKEN = re.compile(r"\[[^\]]*\]|\S+")


def _placeholder(token: str) -> st.SearchStrategy[str]:
    """Something in the place of one token of a verb's usage: the right kind of thing,
    with hostile contents, or anything at all."""
    if token.startswith("@"):
        return person
    if token.startswith("#"):
        return channel
    if token in ("<program>", "<key>", "[program]"):
        return st.one_of(st.just("buddies"), word)
    if "|" in token and not token.startswith("<"):
        return st.one_of(st.sampled_from(token.strip("[]").split("|")), word)
    return word


def _shaped(name: str, usage: str, flags: frozenset[str]) -> st.SearchStrategy[str]:
    """The verb with words where its usage has places (optional ones maybe left out) and
    some of its ``--options``, each given a hostile value."""
    rest = usage.removeprefix(name).split("(")[0]
    places = [t for t in _TOKEN.findall(rest) if not t.lstrip("[").startswith("--")]
    parts = [
        st.one_of(st.just(""), _placeholder(t)) if t.startswith("[") else _placeholder(t)
        for t in places
    ]
    options: st.SearchStrategy[list[str]] = st.just([])
    if flags:
        option = st.builds(
            lambda flag, value: f"--{flag} {shlex.quote(value)}",
            st.sampled_from(sorted(flags)),
            flag_value,
        )
        options = st.lists(option, max_size=3)
    return st.builds(
        lambda words, chosen, extra: " ".join([name, *words, *chosen, *extra]),
        st.tuples(*parts) if parts else st.just(()),
        options,
        st.lists(word, max_size=1),
    )


def command_text(verbs: Mapping[str, tuple[str, frozenset[str]]]) -> st.SearchStrategy[str]:
    """A known verb (``verbs``: its usage and ``--options``) given hostile words in the
    places its usage names, or with any words at all; or plain hostile text; or text near
    and far past the length limit."""
    from conversations.grammar import MAX_COMMAND_LENGTH

    names = sorted(verbs)
    separators = st.sampled_from([" ", "  ", "\t", "\u00a0", "\n", " \u200b "])
    shaped = st.one_of(*(_shaped(name, *verbs[name]) for name in names))
    verb_and_words = st.builds(
        lambda verb, words, sep: sep.join([verb, *words]),
        st.sampled_from(names),
        st.lists(word, max_size=6),
        separators,
    )
    near_limit = st.builds(
        lambda verb, n, filler: (verb + " " + filler * n)[: MAX_COMMAND_LENGTH - 10 + n % 20],
        st.sampled_from(names),
        st.integers(min_value=0, max_value=MAX_COMMAND_LENGTH),
        st.sampled_from(["x", "é", "🙂", " ", '"', "\x00"]),
    )
    far_past = st.builds(lambda n: "status " + "x" * n, st.integers(4_000, 40_000))
    return st.one_of(shaped, shaped, verb_and_words, hostile_text, near_limit, far_past)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)


# -- nothing changed -----------------------------------------------------------------------


async def snapshot(
    app: App,
    *,
    ignore: frozenset[str] = frozenset(),
    columns: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but ``ignore`` (and but the ``columns`` named per table):
    a refusal must leave all of it as it was."""
    rows: dict[str, list[tuple[object, ...]]] = {}
    skipped = columns or {}
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in ignore:
                continue
            kept = [c for c in table.columns if c.name not in skipped.get(table.name, ())]
            found = await session.execute(select(*kept).order_by(*table.primary_key))
            rows[table.name] = [tuple(r) for r in found.all()]
    return rows


# -- nothing failed ------------------------------------------------------------------------


GARBAGE_NOTICES = ("Unclosed client session", "Unclosed connector")
"""What asyncio logs at ERROR when the garbage collector meets an aiohttp session nobody
closed. It fires whenever the collector happens to run, so it names whichever test is
running then (under xdist, any test after the one that dropped the session), never the
input under test; a full collection before every test to pin it down cost seconds each."""


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "asyncio" and record.getMessage().startswith(GARBAGE_NOTICES):
            return
        self.records.append(record)


class ErrorLog:
    """ERROR records logged anywhere while it listens (a failure of ours, handled or not)."""

    def __init__(self, collector: _Collector) -> None:
        self._collector = collector
        self._seen = 0

    def new(self) -> list[str]:
        """The ERROR records since the last call, formatted with any traceback."""
        fresh = self._collector.records[self._seen :]
        self._seen = len(self._collector.records)
        return [
            f"{r.name}: {r.getMessage()}"
            + (f"\n{logging.Formatter().formatException(r.exc_info)}" if r.exc_info else "")
            for r in fresh
        ]


@contextmanager
def error_log() -> Iterator[ErrorLog]:
    """Listen for ERROR records from here on."""
    collector = _Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield ErrorLog(collector)
    finally:
        root.removeHandler(collector)


LISTENER_TASK = "run_ack_function_asynchronously"
"""slack-bolt acknowledges first and runs a listener as a task with this name."""


async def bolt_settled() -> int:
    """Wait for every bolt listener still running (Slack's work after the ack); returns
    how many were awaited, so a test can check it waited for something at all."""
    awaited = 0
    while True:
        running = [
            task
            for task in asyncio.all_tasks()
            if not task.done() and LISTENER_TASK in getattr(task.get_coro(), "__qualname__", "")
        ]
        if not running:
            return awaited
        await asyncio.gather(*running, return_exceptions=True)
        awaited += len(running)
