"""One codec: every button value, the "open the form" payload and mentions are written
and read in conversations/codec.py, and a value it did not write gets one sentence."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations import codec
from conversations.codec import (
    MAX_ID,
    OUT_OF_DATE,
    ConcernAbout,
    ConductAnswer,
    FormOpen,
    HeldFor,
    HeldRating,
    JoinStart,
    MeetingAnswer,
    OutOfDate,
    PersonRef,
    PulseAnswer,
    Ref,
    SessionRef,
)
from conversations.errors import UserError
from storage.models import MeetingOutcome
from tests.support.hostile import examples, hostile_text

ROOT = Path(__file__).resolve().parents[2]
CODEC = ROOT / "conversations" / "codec.py"

ids = st.integers(min_value=0, max_value=MAX_ID)
keys = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,39}\Z")
VALUES: dict[type[Any], st.SearchStrategy[Any]] = {
    Ref: st.builds(Ref, ids),
    SessionRef: st.builds(SessionRef, ids, ids),
    MeetingAnswer: st.builds(
        MeetingAnswer, ids, ids, st.sampled_from([o for o in MeetingOutcome if o.said_by_people])
    ),
    PulseAnswer: st.builds(PulseAnswer, ids, ids),
    ConductAnswer: st.builds(ConductAnswer, ids, ids),
    JoinStart: st.builds(JoinStart, keys, st.sampled_from(["mentor", "mentee"])),
    ConcernAbout: st.builds(ConcernAbout, st.sampled_from(["pair", "programme"]), ids),
    FormOpen: st.builds(FormOpen, st.text(max_size=60), st.text(max_size=200)),
    HeldFor: st.builds(HeldFor, ids, ids),
    HeldRating: st.builds(HeldRating, ids, ids, ids, st.integers(min_value=1, max_value=5)),
}
TYPES = sorted(VALUES, key=lambda t: t.__name__)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.__name__)
@examples(200)
@given(data=st.data())
def test_every_value_reads_back_as_it_was_written(kind: type[Any], data: st.DataObject) -> None:
    value = data.draw(VALUES[kind], label="value")
    assert kind.decode(value.encode()) == value


SENT_BEFORE = [
    # What buttons already in people's chats carry: an upgrade must still read them.
    (MeetingAnswer(12, 3, MeetingOutcome.NOT_YET), "12:3:not_yet"),
    (MeetingAnswer(1, 0, MeetingOutcome.MET), "1:0:met"),
    (SessionRef(42, 0), "42:0"),
    (PulseAnswer(7, 45), "7:45"),
    (ConductAnswer(9, 2), "9:2"),
    (JoinStart("buddies", "mentee"), "buddies:mentee"),
    (JoinStart("career-2026", "mentor"), "career-2026:mentor"),
    (Ref(1634), "1634"),
    (ConcernAbout("pair", 1), "pair:1"),
    (ConcernAbout("programme", 12), "programme:12"),
    (FormOpen("concern.report", "pair:1"), '{"a":"concern.report","v":"pair:1"}'),
]


@pytest.mark.parametrize(("value", "written"), SENT_BEFORE, ids=[s[1] for s in SENT_BEFORE])
def test_values_keep_the_format_buttons_already_sent_carry(value: Any, written: str) -> None:
    assert value.encode() == written
    assert type(value).decode(written) == value


def test_a_form_payload_written_by_an_older_version_still_opens() -> None:
    """Slack modals opened before the upgrade carry ``json.dumps``'s spaced form."""
    assert FormOpen.decode('{"a": "join", "v": "buddies"}') == FormOpen("join", "buddies")
    assert FormOpen.decode('{"a":"checkin","v":"é:1"}') == FormOpen("checkin", "é:1")


NUMBERS = [
    "",
    "²",
    "١",
    "-1",
    "+1",
    " 1",
    "1 ",
    "01",
    "1_0",
    "0x1",
    "1.0",
    "1\x00",
    "\x00",
    str(MAX_ID + 1),
    "9" * 30,
    "9" * 5000,
]
HOSTILE: list[tuple[type[Any], str]] = [
    *((Ref, n) for n in NUMBERS),
    (Ref, "1:2"),
    (Ref, "all"),
    *((SessionRef, f"{n}:0") for n in NUMBERS),
    *((SessionRef, f"1:{n}") for n in NUMBERS),
    (SessionRef, "1"),
    (SessionRef, "1:0:0"),
    (SessionRef, "garbage"),
    (MeetingAnswer, "garbage"),
    (MeetingAnswer, "1:x:met"),
    (MeetingAnswer, "1:0:danced"),
    (MeetingAnswer, "1:0:MET"),
    (MeetingAnswer, "1:0:not_heard"),  # the planner's outcome: no button may claim it
    (MeetingAnswer, "1:0"),
    (MeetingAnswer, "1:0:met:met"),
    (MeetingAnswer, "1634002963269:0:met"),
    (MeetingAnswer, "-1:0:met"),
    (PulseAnswer, "²"),
    (PulseAnswer, "1:²"),
    (PulseAnswer, "1634002963269:1"),
    (PulseAnswer, "1:-45"),
    (ConductAnswer, "²:1"),
    (ConductAnswer, "1"),
    (ConductAnswer, "1:2:3"),
    (JoinStart, "buddies"),
    (JoinStart, "buddies:coach"),
    (JoinStart, "Buddies:mentee"),
    (JoinStart, "b:mentee"),
    (JoinStart, ":mentee"),
    (JoinStart, "bud\x00dies:mentee"),
    (JoinStart, "buddies:mentee:mentor"),
    (ConcernAbout, "pair:²"),
    (ConcernAbout, "pair:" + "9" * 30),
    (ConcernAbout, "person:1"),
    (ConcernAbout, "pair"),
    (ConcernAbout, "pair:1:2"),
    (ConcernAbout, "garbage"),
    (FormOpen, "not json"),
    (FormOpen, ""),
    (FormOpen, "42:0"),
    (FormOpen, "[]"),
    (FormOpen, "null"),
    (FormOpen, '{"a":"join"}'),
    (FormOpen, '{"v":"buddies"}'),
    (FormOpen, '{"a":1,"v":"1"}'),
    (FormOpen, '{"a":"join","v":null}'),
    (FormOpen, '{"a":"join","v":"buddies","x":1}'),
    (FormOpen, "[" * 100_000),
    (HeldFor, "1"),
    (HeldFor, "1:²"),
    (HeldFor, "1:2:3"),
    (HeldRating, "1:2:0:0"),
    (HeldRating, "1:2:0:6"),
    (HeldRating, "1:2:0:05"),
    (HeldRating, "1:2:0"),
    (HeldRating, "1:2:0:4:4"),
]


@pytest.mark.parametrize(
    ("kind", "value"), HOSTILE, ids=[f"{k.__name__}:{v[:16]!r}" for k, v in HOSTILE]
)
def test_anything_malformed_is_out_of_date_in_one_sentence(kind: type[Any], value: str) -> None:
    with pytest.raises(OutOfDate) as raised:
        kind.decode(value)
    assert isinstance(raised.value, UserError)  # a refusal the person reads, not our failure
    assert raised.value.message == OUT_OF_DATE == str(raised.value)


near_misses = st.lists(
    st.sampled_from([*"0123456789:", "²", "-", "+", " ", "\x00", "met", "pair", "a", "9" * 12]),
    max_size=12,
).map("".join)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.__name__)
@examples(300)
@given(data=st.data())
def test_any_text_reads_as_exactly_what_was_written_or_is_out_of_date(
    kind: type[Any], data: st.DataObject
) -> None:
    """Only what ``encode`` writes is read: anything else, however close, is refused."""
    text = data.draw(st.one_of(hostile_text, near_misses), label="text")
    try:
        value = kind.decode(text)
    except OutOfDate as refused:
        assert refused.message == OUT_OF_DATE
        return
    if kind is FormOpen:
        assert isinstance(value.action, str) and isinstance(value.value, str)
    else:
        assert value.encode() == text


def test_a_value_too_big_for_a_button_is_never_written() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        Ref(MAX_ID + 1).encode()
    with pytest.raises(ValueError, match="does not fit"):
        SessionRef(1, -1).encode()
    with pytest.raises(ValueError, match="not a join button"):
        JoinStart("Not A Key", "mentee").encode()
    with pytest.raises(ValueError, match="a rating is from 1 to 5"):
        HeldRating(1, 2, 0, 6).encode()


# --- mentions ------------------------------------------------------------------------------

user_ids = st.from_regex(r"\A[A-Za-z0-9._:\-]{1,128}\Z")
channel_ids = st.from_regex(r"\A[A-Za-z0-9._:@\-]{1,255}\Z")
plain_names = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 .'-]{0,60}[A-Za-z0-9]\Z")


@examples(200)
@given(user_id=user_ids, name=plain_names)
def test_a_mention_reads_back_as_the_person_it_names(user_id: str, name: str) -> None:
    assert codec.person_ref(codec.mention(user_id, name)) == PersonRef(user_id, name, True)
    assert codec.person_ref(codec.mention(user_id)) == PersonRef(user_id, None, True)


@examples(200)
@given(channel_id=channel_ids, name=plain_names)
def test_a_channel_reads_back_as_the_channel_it_names(channel_id: str, name: str) -> None:
    assert codec.channel_ref(codec.channel(channel_id, name)) == channel_id
    assert codec.channel_ref(codec.channel(channel_id)) == channel_id


@examples(200)
@given(user_id=user_ids, name=hostile_text)
def test_a_chosen_name_cannot_break_out_of_its_mention(user_id: str, name: str) -> None:
    """Names are chosen by users: one with ``>`` or ``|`` in it still names its own id."""
    ref = codec.person_ref(codec.mention(user_id, name))
    assert ref is not None and ref.user_id == user_id and ref.verified
    assert not set(ref.display_name or "") & set("<>|\n\r\x00")


def test_the_forms_platforms_send_are_read() -> None:
    assert codec.person_ref("<@U024BE7LH|bob>") == PersonRef("U024BE7LH", "bob", True)
    assert codec.person_ref("<@29:1abc>") == PersonRef("29:1abc", None, True)
    assert codec.person_ref("@bob") == PersonRef("bob", None, False)
    assert codec.person_ref("<@U1|bob") is None
    assert codec.channel_ref("<#C123|general>") == "C123"
    assert codec.channel_ref("#general") == "general"
    assert codec.channel_ref("general") is None


# --- nobody else splits a value or words "out of date" -----------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _receiver(node: ast.expr) -> str:
    """The last name in ``value``, ``submit.value``, ``packed``, ``event.value``…"""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def offences(source: str, where: str) -> list[str]:
    """Places in one module that decode a button value by hand, or word a stale answer."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"split", "rsplit", "partition", "rpartition"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == ":"
            and _receiver(node.func.value) in {"value", "packed", "values"}
        ):
            found.append(f"{where}:{node.lineno} splits a button value: {ast.unparse(node)}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "out of date" in node.value.lower()
            and id(node) not in docstrings
        ):
            found.append(f"{where}:{node.lineno} words its own out-of-date answer")
    return found


def test_the_check_catches_what_it_looks_for() -> None:
    assert offences('pair, _, day = value.partition(":")', "x.py")
    assert offences('pieces = button.value.split(":")', "x.py")
    assert offences('raise UserError("That form is out of date. Type report.")', "x.py")
    assert offences('stale = f"That button is out of date, {name}."', "x.py")
    assert not offences(
        '"""Anything else is out of date."""\nhost, _, port = where.partition(":")', "x.py"
    )


def test_only_the_codec_decodes_a_value_or_words_out_of_date() -> None:
    found = [
        problem
        for folder in ("conversations", "adapters")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != CODEC
        for problem in offences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []
