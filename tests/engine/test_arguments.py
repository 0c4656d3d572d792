"""Declared arguments: one declaration per verb gives its parsing, its refusals and its usage.

A coordinator who types ``checkin 9`` hears what a rating is and sees the same usage line
``help checkin`` shows; a handler gets ``args.rating``, never ``args.words[0]``.
"""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest

from conversations import arguments as arg
from conversations.arguments import Args, Signature
from conversations.errors import UserError
from conversations.grammar import split_words
from conversations.registry import Registry
from tests.support.harness import Chat, programme_with_pair

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry.discover()
VERBS = REGISTRY.verbs


def _parse(signature: Signature, text: str) -> Args:
    return signature.parse(split_words(text))


def _refusal(signature: Signature, text: str) -> UserError:
    with pytest.raises(UserError) as caught:
        _parse(signature, text)
    assert caught.value.usage == signature.usage, "a refusal always shows the usage line"
    return caught.value


# -- each type of argument -------------------------------------------------------------------

PROGRAMME = Signature("show", params=(arg.programme(),))
PERSON = Signature("block", params=(arg.person(),))
CHANNEL = Signature("announce", params=(arg.channel(),))
RATING = Signature("rate", params=(arg.number("rating", low=1, high=5, label="1-5"),))
ANSWER = Signature("answer", params=(arg.choice("answer", "yes", "no", aliases={"y": "yes"}),))
SPAN = Signature("snooze", params=(arg.duration("span", also=("off",)),))
DAY = Signature("holiday", params=(arg.day("day"),))
NOTE = Signature("note", params=(arg.text("note", label='"a note"', longest=20),))
REST = Signature("say", params=(arg.text("words", label="words", rest=True),))
MANY = Signature("invite", params=(arg.repeated(arg.person("people", label="@person")),))


def test_a_programme_is_the_word_as_typed() -> None:
    assert _parse(PROGRAMME, "career-2026").program == "career-2026"
    assert PROGRAMME.usage == "show <program>"


@pytest.mark.parametrize("word", ["<@U024BE7LH|bob>", "<@U024BE7LH>", "@bob", "U024BE7LH"])
def test_a_person_in_every_form_platforms_send(word: str) -> None:
    assert _parse(PERSON, word).person == word


def test_a_word_that_cannot_be_a_person_is_refused() -> None:
    refused = _refusal(PERSON, '"hello world"')
    assert refused.message == "'hello world' doesn't look like a person. Mention them with @."


def test_a_channel_as_slack_sends_it_or_typed() -> None:
    assert _parse(CHANNEL, "<#C123|general>").channel == "<#C123|general>"
    assert _parse(CHANNEL, "#general").channel == "#general"
    assert "doesn't look like a channel" in _refusal(CHANNEL, "general").message
    assert CHANNEL.usage == "announce #channel"


@pytest.mark.parametrize(("word", "value"), [("1", 1), ("5", 5), ("#3", 3), (" 4 ", 4)])
def test_a_whole_number_within_its_bounds(word: str, value: int) -> None:
    assert _parse(RATING, f'"{word}"').rating == value


@pytest.mark.parametrize("word", ["0", "6", "-1", "²", "٣", "1.5", "9" * 3000, "1e3", "x"])
def test_anything_else_is_not_a_number_in_bounds(word: str) -> None:
    refused = _refusal(RATING, word)
    assert "isn't a whole number from 1 to 5" in refused.message
    assert len(refused.message) < 120, "a huge word is not repeated back in full"


def test_a_choice_in_any_case_or_another_spelling() -> None:
    assert _parse(ANSWER, "YES").answer == "yes"
    assert _parse(ANSWER, "y").answer == "yes"
    assert _refusal(ANSWER, "maybe").message == "'maybe' isn't yes or no."
    assert ANSWER.usage == "answer yes|no"


def test_a_duration_or_the_word_that_stands_for_none() -> None:
    assert _parse(SPAN, "2w").span == timedelta(weeks=2)
    assert _parse(SPAN, '"3 days"').span == timedelta(days=3)
    assert _parse(SPAN, "OFF").span == "off"
    assert _parse(SPAN, "30 minutes").span == timedelta(minutes=30)
    assert _parse(SPAN, "30m").span == timedelta(minutes=30)
    assert _parse(SPAN, "2mo").span == timedelta(days=60)
    assert "longer than I can plan for" in _refusal(SPAN, "999999999999999h").message
    assert "not a duration I understand" in _refusal(SPAN, "soon").message
    assert SPAN.usage == "snooze <30m|2d|1w|1mo…>|off"


def test_a_duration_option_typed_without_quotes_takes_its_words_and_no_more() -> None:
    rhythm = Signature(
        "set",
        params=(arg.programme(),),
        options=(
            arg.flag(arg.rhythm("cadence")),
            arg.flag(arg.duration("window", days="The window")),
        ),
    )
    parsed = _parse(rhythm, "--cadence every 2 weeks career --window 3 days")
    assert (parsed.program, parsed.cadence, parsed.window) == ("career", 14, timedelta(days=3))
    assert _parse(rhythm, "career --cadence 1 month").cadence == 30
    assert _parse(rhythm, "career --cadence weekly").cadence == 7
    refused = _refusal(rhythm, "career --cadence every 30 minutes").message
    assert refused.startswith("A programme's rhythm is counted in days or longer")
    refused = _refusal(rhythm, "career --window 36h").message
    assert refused.startswith("The window is counted in whole days")


def test_a_date_written_yyyy_mm_dd() -> None:
    assert _parse(DAY, "2026-12-25").day == date(2026, 12, 25)
    for bad in ("2026-13-45", "tomorrow", "20261225", "2026-W52-1"):
        assert "isn't a date; write it as YYYY-MM-DD" in _refusal(DAY, bad).message


def test_free_text_keeps_its_quotes_apart_and_its_length_in_check() -> None:
    assert _parse(NOTE, "“good talk”").note == "good talk"
    assert _parse(NOTE, "'said \"hi\"'").note == 'said "hi"'
    assert _parse(NOTE, '"a\x00b"').note == "ab", "NULs never reach a handler"
    assert _refusal(NOTE, '"' + "x" * 21 + '"').message == "Keep a note under 20 characters."


def test_the_rest_of_the_words_and_repeated_ones() -> None:
    assert _parse(REST, "one two  three").words == "one two three"
    assert _parse(MANY, "@ana <@U2|ben>").people == ["@ana", "<@U2|ben>"]
    assert MANY.usage == "invite @person…"
    assert "doesn't look like a person" in _refusal(MANY, '@ana "not one"').message


# -- missing, extra and optional words -------------------------------------------------------

PAIR = Signature(
    "pair",
    params=(arg.person("mentor"), arg.person("mentee"), arg.programme()),
    options=(arg.flag(arg.text("why", label='"what they have in common"')),),
)


def test_missing_and_extra_words_are_refused_with_the_usage() -> None:
    assert PAIR.usage == 'pair @mentor @mentee <program> [--why "what they have in common"]'
    for text in ("@ana", "@ana @ben", "@ana @ben buddies extra"):
        assert _refusal(PAIR, text).message == "That's not quite how pair works."


def test_every_value_has_its_name_and_an_undeclared_name_is_an_error() -> None:
    args = _parse(PAIR, "@ana @ben buddies --why 'both like chess'")
    assert (args.mentor, args.mentee, args.program, args.why) == (
        "@ana",
        "@ben",
        "buddies",
        "both like chess",
    )
    assert args.options == {"why": "both like chess"}
    with pytest.raises(AttributeError):
        _ = args.words


MET = Signature(
    "met",
    params=(
        arg.choice("answer", "yes", "not-yet", optional=True, default="yes"),
        arg.programme(optional=True),
    ),
)
CONDUCT = Signature(
    "conduct", params=(arg.programme(optional=True), arg.choice("agree", "agree", optional=True))
)


def test_optional_arguments_take_the_words_that_fit_them() -> None:
    assert (_parse(MET, "").answer, _parse(MET, "").program) == ("yes", None)
    assert (_parse(MET, "not-yet").answer, _parse(MET, "not-yet").program) == ("not-yet", None)
    assert (_parse(MET, "buddies").answer, _parse(MET, "buddies").program) == ("yes", "buddies")
    both = _parse(MET, "not-yet buddies")
    assert (both.answer, both.program) == ("not-yet", "buddies")
    agreeing = _parse(CONDUCT, "agree")
    assert (agreeing.program, agreeing.agree) == (None, "agree")
    reading = _parse(CONDUCT, "buddies")
    assert (reading.program, reading.agree) == ("buddies", None)
    assert _refusal(CONDUCT, "buddies maybe").message == "'maybe' isn't agree."
    assert MET.usage == "met [yes|not-yet] [program]"


QUIET = Signature(
    "quiet",
    params=(
        arg.choice("change", "add", "remove", optional=True),
        arg.day("day", optional=True, joined=True),
    ),
)


def test_arguments_that_come_together_are_given_together() -> None:
    assert QUIET.usage == "quiet [add|remove <YYYY-MM-DD>]"
    added = _parse(QUIET, "add 2026-12-25")
    assert (added.change, added.day) == ("add", date(2026, 12, 25))
    assert _parse(QUIET, "").change is None
    for text in ("add", "2026-12-25", "add 2026-12-25 more"):
        assert _refusal(QUIET, text).message == "That's not quite how quiet works."


# -- options ---------------------------------------------------------------------------------

SET = Signature(
    "set",
    params=(arg.programme(),),
    options=(
        arg.flag(arg.number("limit", low=1, high=200, label="N")),
        arg.flag(arg.choice("matching", "proposal", "choice")),
        arg.flag(arg.duration("choice-window", label="3d")),
        arg.flag(arg.word("curriculum"), label="<name>", needed=True),
        arg.switch("skip-invalid"),
    ),
)


def test_options_are_typed_named_and_shown() -> None:
    assert SET.usage == (
        "set <program> [--limit N] [--matching proposal|choice] [--choice-window 3d] "
        "--curriculum <name> [--skip-invalid]"
    )
    args = _parse(SET, "x --limit 20 --MATCHING=Choice --choice-window 3d --skip-invalid")
    assert (args.limit, args.matching, args.choice_window, args.skip_invalid) == (
        20,
        "choice",
        timedelta(days=3),
        True,
    )
    assert args.curriculum is None
    bare = _parse(SET, "x")
    assert (bare.limit, bare.skip_invalid, bare.options) == (None, False, {})
    assert _parse(SET, "x --skip-invalid=no").skip_invalid is False


def test_bad_options_are_refused_with_the_usage() -> None:
    assert "I don't know the option --colour" in _refusal(SET, "x --colour red").message
    assert _refusal(SET, "x --limit").message == "--limit needs a value after it."
    assert "from 1 to 200" in _refusal(SET, "x --limit 999999999999999999999").message
    assert _refusal(SET, "x --matching random").message == "'random' isn't proposal or choice."


# -- every verb ------------------------------------------------------------------------------

HOSTILE = [
    "",
    '""',
    "\x00",
    "a\x00b \x00",
    "²",
    "9" * 400,
    "@",
    "<@>",
    "--",
    "--x",
    "-- --",
    "a b c d e f g",
    "é" * 300 + " 🙂",
    "<@U1|ana> #general 2026-02-30 1w all",
    "'it''s' \"quoted \\\" inside\"",
]


@pytest.mark.parametrize("name", sorted(VERBS))
def test_every_verb_parses_anything_or_refuses_it_with_its_own_usage(name: str) -> None:
    verb = VERBS[name]
    for text in HOSTILE:
        try:
            verb.signature.parse(split_words(text))
        except UserError as refused:
            assert refused.usage == verb.usage
            assert refused.message.strip() and "\x00" not in refused.message


@pytest.mark.parametrize(
    ("name", "usage"),
    [
        ("checkin", 'checkin <1-5> [@partner] ["a private note"] [program]'),
        ("pair", 'pair @mentor @mentee <program> [--why "what they have in common"]'),
        ("snooze", "snooze <30m|2d|1w|1mo…>|off"),
        ("outbox retry", "outbox retry <number>|all"),
        ("digest subscribe", "digest subscribe @person [program|all] [mon 08:00]"),
        (
            "import",
            "import <program> [file.csv] [--skip-invalid]  (with the CSV file attached, or named "
            "in the console)",
        ),
        ("program open", "program open <program> [#channel]"),
    ],
)
def test_generated_usages_read_like_hand_written_ones(name: str, usage: str) -> None:
    assert VERBS[name].usage == usage


def test_join_shows_each_profile_option_it_accepts() -> None:
    usage = VERBS["join"].usage
    assert usage.startswith('join <program> [mentor|mentee] [--department "IT"]')
    assert {f"[--{name}" for name in VERBS["join"].flags} <= set(usage.split())


# -- through the engine ----------------------------------------------------------------------


async def test_a_refusal_carries_the_generated_usage(chat: Chat) -> None:
    await programme_with_pair(chat)
    checkin = VERBS["checkin"].usage
    assert await chat.say("ben", "checkin 9") == (
        f"Rate the session with a number from 1 (not useful) to 5 (very useful).\nUsage: {checkin}"
    )
    assert await chat.say("ben", "checkin") == (
        f"That's not quite how checkin works.\nUsage: {checkin}"
    )
    refused = await chat.say("maya", "minor @ben maybe")
    assert refused.endswith(f"Usage: {VERBS['minor'].usage}")
    assert await chat.say("maya", "audit --limit 0") == (
        f"--limit must be a whole number from 1 to 200.\nUsage: {VERBS['audit'].usage}"
    )


async def test_help_for_a_verb_shows_its_generated_usage(chat: Chat) -> None:
    await programme_with_pair(chat)
    for name in ("checkin", "join", "pair", "quiet", "digest subscribe", "help"):
        detail = await chat.say("maya", f"help {name}")
        assert detail.endswith(f"\nUsage: {VERBS[name].usage}"), detail


async def test_typed_values_reach_the_handler(chat: Chat) -> None:
    await programme_with_pair(chat)
    assert "Snoozed for 2 weeks, until" in await chat.say("ben", "snooze 2w")
    assert "Snooze off" in await chat.say("ben", "snooze STOP")
    assert "Quiet days: 2026-12-25" in await chat.say("maya", "quiet add 2026-12-25")
    assert "Show failed, pending or skipped" in await chat.say("maya", "outbox maybe")
    assert "Outbox:" in await chat.say("maya", "outbox dead")


# -- no handler reads words by position ------------------------------------------------------


def _positional_reads(source: str, filename: str) -> list[str]:
    """Places that read a handler's words by position: ``args.words`` (indexed or not),
    ``args.flags``, an ``args[...]`` index, or an ``Args(words=...)`` built by hand."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("words", "flags")
            and isinstance(node.value, ast.Name)
            and node.value.id == "args"
        ):
            found.append(f"{where} args.{node.attr}")
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "args"
        ):
            found.append(f"{where} args[...]")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Args"
            and any(k.arg == "words" for k in node.keywords)
        ):
            found.append(f"{where} Args(words=...)")
    return found


def test_the_check_finds_words_read_by_position() -> None:
    sample = (
        "async def h(ctx, args):\n"
        "    a = args.words[0]\n"
        "    b = args[1]\n"
        "    c = args.flags['x']\n"
        "    d = Args(words=['x'])\n"
    )
    assert len(_positional_reads(sample, "sample.py")) == 4


def test_no_module_under_conversations_reads_words_by_position() -> None:
    found: list[str] = []
    for path in sorted((ROOT / "conversations").rglob("*.py")):
        found += _positional_reads(path.read_text(), str(path.relative_to(ROOT)))
    assert found == []


# -- a person anywhere, and writing a command back ---------------------------------------------

PAIRED = Signature(
    "met",
    params=(
        arg.choice("answer", "yes", "not-yet", optional=True, default="yes"),
        arg.person("partner", optional=True, anywhere=True),
        arg.text("note", label='"a note"', optional=True),
        arg.programme(optional=True),
    ),
    options=(arg.switch("block"), arg.flag(arg.text("why", label='"..."'))),
)


WITH_PARTNER = Signature(
    "met",
    params=(
        arg.choice("answer", "yes", "not-yet", optional=True, default="yes"),
        arg.person("partner", optional=True, anywhere=True),
        arg.programme(optional=True),
    ),
)


@pytest.mark.parametrize(
    "text", ["yes @ben buddies", "yes buddies @ben", "@ben yes buddies", "@ben buddies"]
)
def test_an_optional_person_marked_anywhere_may_come_before_or_after_the_other_words(
    text: str,
) -> None:
    parsed = _parse(WITH_PARTNER, text)
    assert (parsed.answer, parsed.partner, parsed.program) == ("yes", "@ben", "buddies")
    assert WITH_PARTNER.usage == "met [yes|not-yet] [@partner] [program]"
    assert _parse(WITH_PARTNER, "buddies").partner is None


def test_only_an_optional_argument_that_recognises_its_words_may_come_anywhere() -> None:
    with pytest.raises(ValueError, match="anywhere"):
        Signature("x", params=(arg.person("who", anywhere=True),))
    with pytest.raises(ValueError, match="anywhere"):
        Signature("x", params=(arg.Param("note", arg.Type.TEXT, "note", True, anywhere=True),))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-yet",
        "yes 'a note with \"quotes\" and it''s odd' buddies --block",
        "@ben 'x y' --why='because, really' ",
        "yes buddies --block=no",
    ],
)
def test_a_command_written_back_parses_to_the_same_arguments(text: str) -> None:
    parsed = _parse(PAIRED, text)
    line = PAIRED.line(parsed)
    assert line.startswith("met")
    again = PAIRED.parse(split_words(line)[1:])
    for name in ("answer", "partner", "note", "program", "block", "why"):
        assert getattr(again, name) == getattr(parsed, name), (name, line)


def test_a_command_written_back_with_an_argument_given_instead() -> None:
    parsed = _parse(PAIRED, 'yes "long note here" buddies')
    line = PAIRED.line(parsed, {"partner": "<@U2|Ben O'Neil>", "program": None})
    again = PAIRED.parse(split_words(line)[1:])
    assert (again.answer, again.partner, again.note, again.program) == (
        "yes",
        "<@U2|Ben O'Neil>",
        "long note here",
        None,
    )
    with pytest.raises(ValueError, match="no argument"):
        PAIRED.line(parsed, {"nobody": "x"})
