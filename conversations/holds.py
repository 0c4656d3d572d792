"""What must still be true when a queued message is sent.

A message is queued in the transaction that caused it but delivered later: after the
recipient's working hours begin, after a retry, after a queue of others. By then the
world may have moved on: the pair was ended by a block, the person already agreed to
the code of conduct, the concern was resolved. So every message queued states, as
:class:`Hold` values stored with its outbox row, what must still hold when it goes out,
and the dispatcher checks each against the database just before sending: a message
whose hold no longer holds is skipped, and the row says why.

Features declare the checks (``@condition`` in :mod:`conversations.registry`) beside the
state they read, and the small constructors their callers use (``pair_at(pair, 2)``);
this module only knows the shape. ``ALWAYS`` is a deliberate, visible choice for a
message that stays true whatever happens (a notice that something already happened).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Hold:
    """One thing that must still be true: a condition's name and its arguments (ids and
    values, JSON-safe), checked by the condition registered under ``what``."""

    what: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, **self.fields}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Hold:
        fields = {key: value for key, value in data.items() if key != "what"}
        return cls(what=str(data.get("what", "")), fields=fields)


ALWAYS: Sequence[Hold] = ()
"""Nothing can make this message untrue (it reports something that already happened)."""


def encode(holds: Sequence[Hold]) -> list[dict[str, Any]]:
    return [hold.to_json() for hold in holds]


def decode(stored: object) -> list[Hold]:
    """The holds stored on a row (rows queued before holds existed have none)."""
    if not isinstance(stored, list):
        return []
    return [Hold.from_json(item) for item in stored if isinstance(item, Mapping)]
