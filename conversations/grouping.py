"""Several notices to one person that fall due together, as one card.

A coordinator with ten stalled pairs gets one card saying "10 pairs may need a hand", a
line for each pair and, under each line, that pair's own buttons; not ten cards at
once. Which kinds group is declared with their renderer
(``@renders(Kind.STALL, grouped=lambda n: f"{n} pairs may need a hand")``), and the
dispatcher (``conversations.delivery``) decides which rows travel together; this module
only builds the card from the messages as each would have been sent alone.

Each notice keeps its own words and buttons: its card's sections become its lines (its
text when it has no card), and its buttons follow its last line. A form is never put
inside another card: its line is its text and a button that opens it ("Open the form"),
which works only for a form the engine can build again from its submit button (a
registered ``@form``); any other form, and a message with a file, goes alone. A card
holds at most :data:`MAX_LINES` notices and what every platform shows whole (Slack's 50
blocks, Teams' 40 KB); more make a second card.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from conversations.cards import open_form_button
from conversations.kinds import Kind
from conversations.messages import Card, Message, Section

Header = Callable[[int], str]
"""The header of a card grouping ``n`` notices of one kind ("3 pairs may need a hand")."""

OPEN_FORM_LABEL = "Open the form"
MAX_LINES = 20
"""Notices in one card; more make another."""
MAX_ROWS = 44
"""Rows a card may fill: each piece of text, group of fields and row of buttons counts one
(Slack shows 50 blocks; a header, and room to spare)."""
MAX_CHARACTERS = 16_000
"""Text a card may carry with its buttons (Teams refuses a card over 40 KB)."""
TEXT_PER_ROW = 2_000
"""Text longer than this is shown in more than one piece (Teams splits at 2,000)."""
BUTTONS_PER_ROW = 6
"""Teams shows at most six buttons in a row (Slack 25)."""
BUTTON_WRAPPING = 160
"""What a button costs a card besides its label, action and value (Teams' JSON around them)."""

T = TypeVar("T")


def combinable(message: Message, forms: Collection[str]) -> bool:
    """Whether a message can be one line of a grouped card: anything but a file; a form
    only when the engine can build it again from its submit action (``forms``)."""
    if message.attachments:
        return False
    card = message.card
    if card is None or not card.inputs:
        return True
    return card.submit is not None and card.submit.action in forms


def lines(message: Message) -> tuple[Section, ...]:
    """A message as lines of a grouped card: its sections (or its text), its buttons after
    the last one; a form as its text and a button that opens it."""
    card = message.card
    if card is None:
        return (Section(text=message.text),)
    if card.inputs:
        if card.submit is None:
            raise ValueError(f"the {message.kind} form has inputs but no submit button")
        opens = open_form_button(
            OPEN_FORM_LABEL, action=card.submit.action, value=card.submit.value
        )
        return (Section(text=message.text, buttons=(opens,)),)
    sections = list(card.sections) or [Section(text=message.text)]
    extra = card.buttons + ((card.submit,) if card.submit is not None else ())
    last = sections[-1]
    sections[-1] = last.model_copy(update={"buttons": last.buttons + extra})
    return tuple(sections)


def _json(text: str) -> int:
    """What ``text`` costs in a card's JSON (a letter outside ASCII is escaped, six bytes)."""
    return len(json.dumps(text)) - 2


def _cost(message: Message) -> tuple[int, int]:
    """(rows, characters) the message's lines take in a card: at least what Slack's blocks
    and Teams' bytes need for them."""
    rows = characters = 0
    for section in lines(message):
        rows += max(1, math.ceil(len(section.text) / TEXT_PER_ROW))
        rows += math.ceil(len(section.fields) / 10)
        rows += math.ceil(len(section.buttons) / BUTTONS_PER_ROW)
        characters += _json(section.text)
        characters += sum(_json(f.label) + _json(f.value) for f in section.fields)
        characters += sum(
            _json(b.label) + _json(b.action) + _json(b.value) + BUTTON_WRAPPING
            for b in section.buttons
        )
    return rows, characters


def batches(items: Sequence[T], message: Callable[[T], Message]) -> list[list[T]]:
    """``items`` in order, packed into cards every platform shows whole. A message too big
    to share a card is a batch of its own (and is sent as it is)."""
    packed: list[list[T]] = []
    rows = characters = 0
    for item in items:
        cost_rows, cost_characters = _cost(message(item))
        if (
            packed
            and len(packed[-1]) < MAX_LINES
            and rows + cost_rows <= MAX_ROWS
            and characters + cost_characters <= MAX_CHARACTERS
        ):
            packed[-1].append(item)
            rows += cost_rows
            characters += cost_characters
        else:
            packed.append([item])
            rows, characters = cost_rows, cost_characters
    return packed


def combine(messages: Sequence[Message], *, header: str, kind: Kind) -> Message:
    """One card for several notices: ``header``, then each notice's lines and buttons. The
    plain text (what a notification or a client without cards shows) lists each notice."""
    if len(messages) < 2:
        raise ValueError("a grouped card needs at least two notices")
    text = f"{header}:\n" + "\n".join(f"• {m.text}" for m in messages)
    sections = tuple(section for m in messages for section in lines(m))
    return Message(text=text, card=Card(header=header, sections=sections), kind=kind)
