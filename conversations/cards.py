"""Card helpers every feature shares: dates in the reader's zone, notices, form inputs,
and the button that opens a form without touching the message it sits on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from conversations import codec
from conversations.kinds import Kind
from conversations.messages import Button, CardField, Input, Message, Option

OPEN_FORM = codec.OPEN_FORM
"""A button with this action opens the form its value names (``{"a": submit action, "v":
submit value}``, packed by ``codec.FormOpen``) and leaves the message it sits on alone.
Slack opens the form as a modal and Teams posts it in the person's own chat, both without
asking the engine twice; the console and tests pass the press to the engine, which answers
with the form. A pair message's "Report a concern" must be such a button: in a pair's
shared space, pressing an ordinary button marks the message as answered for both people,
and the partner must never learn that someone reported a concern."""


def open_form_button(label: str, *, action: str, value: str) -> Button:
    """A button that opens the form whose submit button has this action and value."""
    return Button(label=label, action=OPEN_FORM, value=codec.FormOpen(action, value).encode())


def command_button(label: str, command: str) -> Button:
    """A button that runs ``command`` as if its presser had typed it (``codec.COMMAND``);
    check ``codec.fits(command)`` first."""
    if not codec.fits(command):
        raise ValueError(f"a command of {len(command):,} characters does not fit a button")
    return Button(label=label, action=codec.COMMAND, value=command)


def local_date(moment: datetime, timezone: str) -> str:
    """The reader's own date, e.g. "Tue 14 Jan", in their time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b").replace(" 0", " ")


def local_time(moment: datetime, timezone: str) -> str:
    """The reader's own time of day, e.g. "14:30", in their time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def rating_input(label: str, words: tuple[str, str, str, str, str]) -> Input:
    """A required 5-to-1 rating, each number with the words that make it mean something."""
    return Input(
        name="rating",
        label=label,
        kind="select",
        required=True,
        options=tuple(
            Option(label=f"{5 - n} - {word}", value=str(5 - n)) for n, word in enumerate(words)
        ),
    )


def partner_notice(*, text: str, kind: Kind) -> Message:
    return Message(text=text, kind=kind)


def status_lines(fields: Sequence[tuple[str, str]]) -> tuple[CardField, ...]:
    return tuple(CardField(label=label, value=value) for label, value in fields)
