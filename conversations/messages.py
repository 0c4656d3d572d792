"""The neutral outbound message model.

One model serves every platform: a message is plain text (always present, the
fallback every client can show) plus an optional structured card with a
header, sections, fields, buttons and form inputs. Adapters render it to Block
Kit, Adaptive Cards or terminal text. Messages are pydantic models so they can
be stored in the outbox as JSON and rebuilt exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_serializer

from conversations.kinds import Kind


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardField(_Frozen):
    """A short label/value pair, shown side by side where the platform can."""

    label: str
    value: str


class Button(_Frozen):
    """A button: pressing it sends ``action`` and ``value`` back to the engine."""

    label: str
    action: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


class Section(_Frozen):
    """A block of text, optionally followed by fields, then by buttons of its own.

    A section's buttons belong to it and are shown right after it: a card that groups
    several notices (``conversations.grouping``) has a line for each, with its buttons."""

    text: str = ""
    fields: tuple[CardField, ...] = ()
    buttons: tuple[Button, ...] = ()


class Option(_Frozen):
    label: str
    value: str


class Input(_Frozen):
    """A form field. Forms are submitted as a whole through the card's ``submit``."""

    name: str
    label: str
    kind: Literal["text", "multiline", "select", "number"] = "text"
    options: tuple[Option, ...] = ()
    required: bool = False
    placeholder: str = ""
    initial: str = ""
    hint: str = ""


class Card(_Frozen):
    header: str = ""
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    inputs: tuple[Input, ...] = ()
    submit: Button | None = None
    """For a form: the button that submits every input at once."""


class Attachment(_Frozen):
    """A file sent with a message or a command: an export, an import, a chart.

    Stored in the outbox as JSON, so bytes travel as base64 (a PNG is not UTF-8).

    A picture can be drawn late (:meth:`drawn`): its bytes are made the first time
    something reads :attr:`data` (a transport sending it, or writing it out) and kept.
    A digest goes to many places that never show a picture, the terminal above all,
    and a chart costs a tenth of a second or more to draw.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        ser_json_bytes="base64",
        val_json_bytes="base64",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    name: str
    media_type: str = "text/csv"
    given: bytes = Field(default=b"", alias="data", repr=False)
    """The bytes as given; read :attr:`data`, which also covers a picture drawn late."""
    _draw: Callable[[], bytes] | None = PrivateAttr(default=None)

    @classmethod
    def text(cls, name: str, text: str, media_type: str = "text/csv") -> Attachment:
        return cls(name=name, media_type=media_type, data=text.encode("utf-8"))

    @classmethod
    def drawn(cls, name: str, media_type: str, draw: Callable[[], bytes]) -> Attachment:
        """A file whose bytes ``draw`` makes when first read, once."""
        made = cls(name=name, media_type=media_type)
        made._draw = draw
        return made

    @property
    def data(self) -> bytes:
        draw = self._draw
        if draw is not None:
            # Kept until drawn: a reader in another thread meanwhile draws too, never gets b"".
            object.__setattr__(self, "given", draw())  # frozen: set once, as if given
            self._draw = None
        return self.given

    @field_serializer("given")
    def _serialise_data(self, given: bytes) -> bytes:
        return self.data  # a late picture is drawn before it is stored or sent as JSON

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attachment):
            return NotImplemented
        return (self.name, self.media_type, self.data) == (other.name, other.media_type, other.data)

    def __hash__(self) -> int:
        return hash((self.name, self.media_type))


class Message(_Frozen):
    """What the engine says. ``text`` alone must make sense without the card."""

    text: str
    card: Card | None = None
    kind: Kind = Field(default=Kind.REPLY, description="what this message is (conversations.kinds)")
    attachments: tuple[Attachment, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict for the outbox; ``from_json`` rebuilds the message exactly."""
        return cast(dict[str, Any], json.loads(self.model_dump_json()))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls.model_validate_json(json.dumps(data))

    def buttons(self) -> tuple[Button, ...]:
        """Every pressable thing, in the order shown: each section's own buttons, then the
        card's buttons, then its form submit."""
        if self.card is None:
            return ()
        extra = (self.card.submit,) if self.card.submit else ()
        within = tuple(b for section in self.card.sections for b in section.buttons)
        return within + self.card.buttons + extra


Audience = Literal["person", "pair", "coordinators"]


MORE_COMMANDS: dict[str, str] = {
    "proposal": "proposal <program> <page>",
    "audit": "audit [program] --limit <n>",
    "help": "help <command>",
    "programmes": "program status <program>",
}
"""The command that shows the rest of a message too long for one platform message, by kind:
adapters that must cut a message point the reader to it."""
DEFAULT_MORE = "help"
