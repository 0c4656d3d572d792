"""One card for several notices: each keeps its words and its buttons, a form is opened
rather than inlined, and a card never holds more than every platform shows whole."""

from __future__ import annotations

import pytest

from conversations import codec
from conversations.grouping import MAX_LINES, batches, combinable, combine, lines
from conversations.kinds import Kind
from conversations.messages import Attachment, Button, Card, Input, Message, Section
from conversations.registry import Registry


def stall(mentor: str, mentee: str, pair: int) -> Message:
    text = f"{mentor} and {mentee} in Buddies haven't logged a meeting for 3 weeks."
    return Message(
        text=text,
        card=Card(
            header="A pair may need a hand",
            sections=(Section(text=text + " A friendly nudge is often all it takes."),),
            buttons=(
                Button(label="Nudge both", action="stall.nudge", value=str(pair)),
                Button(label="Pause the pair", action="stall.pause", value=str(pair)),
            ),
        ),
        kind=Kind.STALL,
    )


def checkin(partner: str, pair: int) -> Message:
    return Message(
        text=f"A gentle reminder: how did session 1 with {partner} go?",
        card=Card(
            header="How did session 1 go?",
            sections=(Section(text="Something to think about: • what helped?"),),
            inputs=(Input(name="rating", label="How useful was it?"),),
            submit=Button(label="Send check-in", action="checkin", value=f"{pair}:0"),
        ),
        kind=Kind.CHECKIN_REMINDER,
    )


def test_each_notice_is_a_line_with_its_own_buttons_under_one_header() -> None:
    card = combine(
        [stall("Ana", "Ben", 1), stall("Cleo", "Dev", 2)],
        header="2 pairs may need a hand",
        kind=Kind.STALL,
    )
    assert card.kind == Kind.STALL
    assert card.card is not None and card.card.header == "2 pairs may need a hand"
    [first, second] = card.card.sections
    assert first.text.startswith("Ana and Ben") and second.text.startswith("Cleo and Dev")
    assert [b.value for b in first.buttons] == ["1", "1"]
    assert [b.value for b in second.buttons] == ["2", "2"]
    assert card.card.buttons == () and card.card.inputs == ()
    assert [b.value for b in card.buttons()] == ["1", "1", "2", "2"]  # in the order shown


def test_the_plain_text_lists_every_notice() -> None:
    card = combine(
        [stall("Ana", "Ben", 1), stall("Cleo", "Dev", 2)],
        header="2 pairs may need a hand",
        kind=Kind.STALL,
    )
    assert card.text.splitlines() == [
        "2 pairs may need a hand:",
        "• Ana and Ben in Buddies haven't logged a meeting for 3 weeks.",
        "• Cleo and Dev in Buddies haven't logged a meeting for 3 weeks.",
    ]


def test_a_form_is_never_inlined_but_opened_from_its_line() -> None:
    card = combine(
        [checkin("Ben", 1), checkin("Cleo", 2)],
        header="2 forms are waiting for your answer",
        kind=Kind.REMINDER,
    )
    assert card.card is not None and card.card.inputs == () and card.card.submit is None
    first, second = card.card.sections
    assert "Ben" in first.text and "Cleo" in second.text
    [opens] = second.buttons
    assert (opens.label, opens.action) == ("Open the form", codec.OPEN_FORM)
    packed = codec.FormOpen.decode(opens.value)
    assert (packed.action, packed.value) == ("checkin", "2:0")


def test_only_what_can_be_opened_again_or_shown_in_a_line_combines() -> None:
    assert combinable(stall("Ana", "Ben", 1), forms=set())
    assert combinable(Message(text="plain", kind=Kind.REPLY), forms=set())
    assert combinable(checkin("Ben", 1), forms={"checkin"})
    assert not combinable(checkin("Ben", 1), forms={"pulse"})  # no way to open it again
    with_file = Message(text="x", attachments=(Attachment.text("a.csv", "a,b"),))
    assert not combinable(with_file, forms=set())


def test_a_message_without_a_card_is_one_line_of_its_text() -> None:
    assert lines(Message(text="Just words", kind=Kind.REPLY)) == (Section(text="Just words"),)


def test_one_notice_is_not_a_group() -> None:
    with pytest.raises(ValueError):
        combine([stall("Ana", "Ben", 1)], header="1 pairs", kind=Kind.STALL)


def test_too_many_notices_for_one_card_make_several() -> None:
    many = [stall(f"M{n}", f"E{n}", n) for n in range(MAX_LINES * 2 + 3)]
    packed = batches(many, lambda m: m)
    assert [len(b) for b in packed] == [MAX_LINES, MAX_LINES, 3]
    assert [m for b in packed for m in b] == many  # in order, none lost


def test_a_notice_too_long_to_share_a_card_goes_alone() -> None:
    long = Message(text="long", card=Card(sections=(Section(text="x" * 16_000),)))
    packed = batches([stall("A", "B", 1), long, stall("C", "D", 2)], lambda m: m)
    assert [len(b) for b in packed] == [1, 1, 1]


def test_stalls_and_reminders_group_and_pulses_do_not() -> None:
    groups = Registry.discover().groups
    assert groups[Kind.STALL](3) == "3 pairs may need a hand"
    assert groups[Kind.REMINDER](2) == "2 forms are waiting for your answer"
    assert Kind.PULSE not in groups  # a first ask is the form itself, answered where it is
