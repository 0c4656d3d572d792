"""What the platforms accept: Block Kit checked through slack_sdk's own models and limits,
Adaptive Cards checked against the published 1.5 schema and Teams' size limit.

The card suites, the Slack and Teams app tests and the concern tests all check cards
this way; a card that passes here is one the platform would render.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest
from slack_sdk.models.blocks import Block

from conversations import codec
from conversations.grouping import batches, combine
from conversations.kinds import Kind
from conversations.messages import Button, Card, Message, Section
from tests.support.paths import SCHEMAS


def assert_slack_accepts(blocks: list[dict[str, Any]], *, most: int) -> None:
    """slack_sdk parses and validates every block, loses nothing, and the limits hold."""
    assert 0 < len(blocks) <= most
    parsed = Block.parse_all(blocks)
    for original, block in zip(blocks, parsed, strict=True):
        assert block is not None, original
        block.validate_json()
        assert block.to_dict() == original  # to_dict validates nested elements too
        if original["type"] == "section":
            assert len(original.get("text", {}).get("text", "")) <= 3000
            assert len(original.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in original.get("fields", []))
        if original["type"] == "header":
            assert len(original["text"]["text"]) <= 150
        if original["type"] == "actions":
            assert len(original["elements"]) <= 25
            for element in original["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000
    action_ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(action_ids) == len(set(action_ids))


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


MAX_BYTES = 40_000


@cache
def adaptive_card_validator() -> jsonschema.protocols.Validator:
    """The Adaptive Card 1.5 schema, read once; a missing schema fails loudly, never skips."""
    path = SCHEMAS / "adaptive-card-1.5.json"
    if not path.is_file():
        pytest.fail(
            f"the Adaptive Card schema is missing: expected {path} "
            "(CI lays shared/ beside the checkout; see shared/schemas/README.md)"
        )
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def assert_teams_accepts(card: dict[str, Any]) -> None:
    errors = sorted(
        adaptive_card_validator().iter_errors(card), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])
    assert card["version"] == "1.5"
    size = len(json.dumps(card).encode("utf-8"))
    assert size < MAX_BYTES, f"card is {size} bytes"
    assert len(json.dumps(card, ensure_ascii=False).encode("utf-8")) <= size


def all_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    actions = list(card.get("actions", []))
    for element in card["body"]:
        if element["type"] == "ActionSet":
            actions += element["actions"]
    return actions


def press(card: dict[str, Any], title: str, inputs: dict[str, str]) -> dict[str, Any]:
    """What Teams sends for pressing ``title``: the action's data and the inputs beside it."""
    ids = {element.get("id") for element in card["body"]}
    assert set(inputs) <= ids, f"{set(inputs) - ids} are not inputs of the card"
    (pressed,) = [a for a in all_actions(card) if a["title"] == title]
    return {**pressed["data"], **inputs}


def grouped_stalls(count: int, *, name: str = "Ana") -> list[Message]:
    """Cards grouping ``count`` stalled-pair notices shaped like the real ones (three
    buttons each), as the dispatcher packs them (``grouping.batches``): one card, or more
    when one cannot hold them all. ``name`` is each person's name (make it long to fill)."""
    notices = []
    for n in range(1, count + 1):
        text = (
            f"{name} {n} and {name} {n + 1000} in New-hire buddy haven't logged a meeting in "
            "the 3 weeks since they started."
        )
        ref = codec.Ref(n).encode()
        notices.append(
            Message(
                text=text,
                card=Card(
                    header="A pair may need a hand",
                    sections=(Section(text=text + " A friendly nudge is often all it takes."),),
                    buttons=(
                        Button(
                            label="Nudge both", action="stall.nudge", value=ref, style="primary"
                        ),
                        Button(label="Pause the pair", action="stall.pause", value=ref),
                        Button(label="End the pair", action="stall.end", value=ref, style="danger"),
                    ),
                ),
                kind=Kind.STALL,
            )
        )
    return [
        combine(batch, header=f"{len(batch)} pairs may need a hand", kind=Kind.STALL)
        if len(batch) > 1
        else batch[0]
        for batch in batches(notices, lambda m: m)
    ]
