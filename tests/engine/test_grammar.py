"""One command grammar for every platform."""

from __future__ import annotations

import pytest

from conversations.errors import UserError
from conversations.grammar import PersonRef, parse_args, person_ref, split_words


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("<@U024BE7LH|bob>", PersonRef("U024BE7LH", "bob", verified=True)),
        ("<@U024BE7LH>", PersonRef("U024BE7LH", None, verified=True)),
        ("@bob", PersonRef("bob", None, verified=False)),
        ("U024BE7LH", PersonRef("U024BE7LH", None, verified=False)),
        ("29:1a2b-c3", PersonRef("29:1a2b-c3", None, verified=False)),
        ("<#C123|general>", None),
        ("hello world", None),
        ("", None),
    ],
)
def test_person_references_in_the_forms_platforms_send(
    word: str, expected: PersonRef | None
) -> None:
    assert person_ref(word) == expected


def test_words_respect_straight_and_curly_quotes_and_the_slash_command() -> None:
    assert split_words("/mentor checkin 4 “really good talk”") == [
        "checkin",
        "4",
        "really good talk",
    ]
    assert split_words("pair <@U1|ana> <@U2|ben> career") == [
        "pair",
        "<@U1|ana>",
        "<@U2|ben>",
        "career",
    ]


def test_flags_take_values_in_both_spellings() -> None:
    args = parse_args(
        ["x", "--name", "A B", "--cadence=every week"],
        allowed_flags=frozenset({"name", "cadence"}),
        usage="u",
    )
    assert args.words == ["x"]
    assert args.flags == {"name": "A B", "cadence": "every week"}


def test_unknown_flags_and_missing_values_are_explained() -> None:
    with pytest.raises(UserError, match="I don't know the option --colour"):
        parse_args(["--colour", "red"], allowed_flags=frozenset({"name"}), usage="u")
    with pytest.raises(UserError, match="--name needs a value"):
        parse_args(["--name"], allowed_flags=frozenset({"name"}), usage="u")


def test_a_switch_takes_no_value_wherever_it_stands() -> None:
    args = parse_args(
        ["career", "--skip-invalid", "people.csv"],
        allowed_flags=frozenset(),
        switches=frozenset({"skip-invalid"}),
        usage="u",
    )
    assert (args.words, args.flags) == (["career", "people.csv"], {"skip-invalid": "yes"})
    at_end = parse_args(
        ["career", "--skip-invalid"],
        allowed_flags=frozenset(),
        switches=frozenset({"skip-invalid"}),
        usage="u",
    )
    assert at_end.flags == {"skip-invalid": "yes"}
