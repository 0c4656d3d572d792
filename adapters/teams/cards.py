"""Neutral messages as Adaptive Cards (version 1.5, what Teams renders for bots).

Pure functions, no network, no botbuilder: a card is a plain dict. What Teams
refuses or hides is kept out by construction:

- a card is at most 40 KB of JSON. Content beyond ``MAX_CARD_BYTES`` is dropped
  from the end of the sections, keeping the header, the form and the buttons, and
  one TextBlock says how to see the rest (``…more: type proposal <program> <page>``;
  the commands are ``conversations.messages.MORE_COMMANDS``). Long text is split into
  TextBlocks at line boundaries and fields into FactSets of ``MAX_FACTS``, so
  trimming drops pieces rather than whole sections;
- Teams shows at most ``MAX_ACTIONS`` card actions. A card with more buttons puts
  them all in ActionSets of that size at the end of the body instead. A section's own
  buttons (a line of a card grouping several notices) are an ActionSet right after it;
  pressing one answers that line only (``answered_line``);
- inputs live in the card itself (unlike Slack, no modal): Input.Text (multiline
  when asked), Input.ChoiceSet (compact) and Input.Number, each with ``id`` = the
  input's name, and an ``errorMessage`` when required. A hint, which Adaptive Cards
  have no property for, is a small subtle TextBlock under its input. Buttons other
  than the form's submit send no inputs (``associatedInputs: "none"``), so a
  required field never blocks them.

Every button is an Action.Submit whose ``data`` is ``{"mentorbot": {"action": …,
"value": …}}``; Teams sends that back as the activity's value with each input's
value beside it, keyed by input id, and ``submitted`` turns it back into the
engine's ``(action, value, {name: value})``. ``answered_card`` is the same card
with its inputs and buttons removed and a "✓ label (by)" line, for updating a card
in place once it has been answered.

A picture attached to the message (the digest's chart) becomes an Image with a
data URI after the header, when the card can hold it; otherwise it is left out and
the text, which says the same in words, stands alone.

The engine writes light markdown: ``*bold*`` becomes Adaptive Card ``**bold**``,
and each line break becomes a paragraph break (Teams ignores a single newline
outside markdown lists, and the engine's "• " bullets are plain lines).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from typing import Any

from adapters.layout import split_lines
from conversations.messages import (
    DEFAULT_MORE,
    MORE_COMMANDS,
    Button,
    Card,
    Input,
    Message,
    Section,
)

Element = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
DATA_KEY = "mentorbot"
"""The key of the engine's action and value in an Action.Submit's data."""

MAX_CARD_BYTES = 38_000
"""Trim content beyond this (Teams refuses cards over 40 KB)."""
MAX_TEXT = 2000
"""TextBlocks longer than this are split at line boundaries."""
MAX_FACTS = 10
MAX_FACT_TEXT = 1000
MAX_HEADER = 150
MAX_TITLE = 75
MAX_ACTIONS = 6
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})

_BOLD = re.compile(r"\*([^*\n]+)\*")
_LINK = re.compile(r"\](?=\s*\()")


# --- text ---------------------------------------------------------------------------------


def markdown(text: str) -> str:
    """Engine text as Adaptive Card markdown: ``**bold**``, each line its own paragraph.

    The engine writes no links, so any ``[words](address)`` came from what a person wrote
    (a profile, a goal) and would show another person a link disguised as words ("Reset
    your password"): a zero-width joiner between ``]`` and ``(`` leaves the text as typed,
    address and all, but never a link."""
    unlinked = _LINK.sub("]\u2060", text)
    return _BOLD.sub(r"**\1**", unlinked).replace("\n", "\n\n")


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when it had to be cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _plain(text: str, limit: int, *, fallback: str = "…") -> str:
    """Plain text for a header, label or title: no markup, one line, within ``limit``."""
    flat = " ".join(_BOLD.sub(r"\1", text).split())
    return _shorten(flat, limit) or fallback


def _split(text: str, limit: int) -> list[str]:
    """Engine text in pieces of at most ``limit``, split between lines where possible."""
    return split_lines(text, limit)


def _text_block(text: str, **extra: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def _text_blocks(text: str) -> list[Element]:
    return [_text_block(markdown(piece)) for piece in _split(text, MAX_TEXT)]


def _size(card: Element) -> int:
    """The card's JSON size in bytes, counted with ASCII escapes (never less than UTF-8)."""
    return len(json.dumps(card))


# --- sections, inputs, buttons --------------------------------------------------------------


def section_elements(section: Section) -> list[Element]:
    """One engine section as TextBlocks (split at ``MAX_TEXT``) and FactSets of ``MAX_FACTS``."""
    elements = _text_blocks(section.text)
    facts = [
        {
            "title": _plain(field.label, MAX_TITLE, fallback=""),
            "value": _shorten(markdown(field.value), MAX_FACT_TEXT),
        }
        for field in section.fields
        if field.label.strip() or field.value.strip()
    ]
    for start in range(0, len(facts), MAX_FACTS):
        elements.append({"type": "FactSet", "facts": facts[start : start + MAX_FACTS]})
    return elements


def input_elements(item: Input) -> list[Element]:
    """One form input (``id`` = its name), followed by its hint when it has one."""
    label = _plain(item.label or item.name, MAX_HEADER)
    element: Element = {"id": item.name, "label": label, "isRequired": item.required}
    if item.kind == "select":
        choices = [{"title": _plain(o.label, MAX_TITLE), "value": o.value} for o in item.options]
        element.update(type="Input.ChoiceSet", style="compact", choices=choices)
        if any(o.value == item.initial for o in item.options) and item.initial:
            element["value"] = item.initial
    elif item.kind == "number":
        element["type"] = "Input.Number"
        if re.fullmatch(r"-?\d+", item.initial.strip()):
            element["value"] = int(item.initial.strip())
    else:
        element["type"] = "Input.Text"
        if item.kind == "multiline":
            element["isMultiline"] = True
        if item.initial:
            element["value"] = item.initial
    if item.placeholder.strip():
        element["placeholder"] = _plain(item.placeholder, MAX_HEADER)
    if item.required:
        element["errorMessage"] = f"Please fill in: {label}"
    elements = [element]
    if item.hint.strip():
        elements.append(_text_block(markdown(item.hint), isSubtle=True, size="Small"))
    return elements


def action(button: Button, *, sends_inputs: bool = True, submits_form: bool = False) -> Element:
    """A button as an Action.Submit carrying the engine's action and value (and, for a
    form's submit button, ``"form": true``, so its press reaches the engine as a form)."""
    data: dict[str, Any] = {"action": button.action, "value": button.value}
    if submits_form:
        data["form"] = True
    element: Element = {
        "type": "Action.Submit",
        "title": _plain(button.label or button.action, MAX_TITLE),
        "data": {DATA_KEY: data},
    }
    if button.style == "primary":
        element["style"] = "positive"
    elif button.style == "danger":
        element["style"] = "destructive"
    if not sends_inputs:
        element["associatedInputs"] = "none"
    return element


def _actions(card: Card, buttons: Sequence[Button]) -> list[Element]:
    return [
        action(
            button,
            sends_inputs=not card.inputs or button is card.submit,
            submits_form=bool(card.inputs) and button is card.submit,
        )
        for button in buttons
    ]


# --- cards ----------------------------------------------------------------------------------


def _more(kind: str, more: str | None) -> Element:
    command = more or MORE_COMMANDS.get(kind, DEFAULT_MORE)
    return _text_block(f"…more: type {command}", isSubtle=True)


def images(message: Message) -> list[Element]:
    """Picture attachments (the digest's chart) as Image elements with a data URI: a bot
    cannot attach a file to a Teams message, but a card can carry a small image."""
    return [
        {
            "type": "Image",
            "url": f"data:{item.media_type};base64,{base64.b64encode(item.data).decode()}",
            "altText": _plain(item.name, MAX_TITLE),
            "size": "Stretch",
        }
        for item in message.attachments
        if item.media_type in IMAGE_TYPES and item.data
    ]


def _build(message: Message, *, more: str | None, answer: str | None) -> dict[str, Any]:
    card = message.card
    head: list[Element] = []
    body: list[Element] = []
    tail: list[Element] = []
    actions: list[Element] = []
    pictures = images(message)
    if card is not None:
        if card.inputs and card.submit is None:
            raise ValueError(f"the {message.kind} form has inputs but no submit button")
        if card.header.strip():
            head.append(
                _text_block(_plain(card.header, MAX_HEADER), weight="Bolder", size="Medium")
            )
        for section in card.sections:
            body += section_elements(section)
            if section.buttons and answer is None:
                own = _actions(card, section.buttons)
                body += [
                    {"type": "ActionSet", "actions": own[start : start + MAX_ACTIONS]}
                    for start in range(0, len(own), MAX_ACTIONS)
                ]
        if answer is None:
            for item in card.inputs:
                tail += input_elements(item)
            actions = _actions(card, card.buttons + ((card.submit,) if card.submit else ()))
    if not body:
        body = _text_blocks(message.text) or [_text_block(" ")]
    if answer is not None:
        tail.append(_text_block(answer, weight="Bolder"))
    if len(actions) > MAX_ACTIONS:
        tail += [
            {"type": "ActionSet", "actions": actions[start : start + MAX_ACTIONS]}
            for start in range(0, len(actions), MAX_ACTIONS)
        ]
        actions = []

    def assemble(content: list[Element]) -> dict[str, Any]:
        result: dict[str, Any] = {
            "type": "AdaptiveCard",
            "$schema": SCHEMA,
            "version": VERSION,
            "body": head + content + tail,
        }
        if actions:
            result["actions"] = actions
        return result

    result = assemble(body)
    if pictures:  # after the header; dropped whole when the card cannot hold them
        with_pictures = {**result, "body": head + pictures + body + tail}
        if _size(with_pictures) <= MAX_CARD_BYTES:
            return with_pictures
    if _size(result) <= MAX_CARD_BYTES:
        return result
    pointer = _more(message.kind, more)
    budget = MAX_CARD_BYTES - _size(assemble([pointer]))
    kept: list[Element] = []
    for element in body:
        cost = len(json.dumps(element)) + 2  # ", " between list items
        if cost > budget:
            break
        kept.append(element)
        budget -= cost
    result = assemble([*kept, pointer])
    while _size(result) > MAX_CARD_BYTES and kept:  # never expected: a safety net
        kept.pop()
        result = assemble([*kept, pointer])
    return result


def adaptive_card(message: Message, *, more: str | None = None) -> dict[str, Any]:
    """The message as an Adaptive Card 1.5 (``message.text`` remains the notification text).

    Content beyond ``MAX_CARD_BYTES`` is dropped from the end of the sections,
    keeping the header, the form and the buttons, and a TextBlock says which
    command shows the rest: ``more``, or the one for the message's kind.
    """
    return _build(message, more=more, answer=None)


def answered_card(
    message: Message, *, label: str, by: str, more: str | None = None
) -> dict[str, Any]:
    """The card once answered: no inputs, no buttons, and a final "✓ <label> (<by>)"."""
    return _build(message, more=more, answer=f"✓ {label} ({by})")


def answered_line(message: Message, pressed: Button, *, by: str) -> Message | None:
    """A card grouping several notices once one line's button was pressed: that line's
    buttons give way to "✓ <label> (<by>)", the other lines keep theirs. None when the
    button is not a line's (the whole card is answered: ``answered_card``)."""
    card = message.card
    if card is None or not any(pressed in section.buttons for section in card.sections):
        return None
    sections = tuple(
        section.model_copy(
            update={"text": f"{section.text}\n✓ {pressed.label} ({by})", "buttons": ()}
        )
        if pressed in section.buttons
        else section
        for section in card.sections
    )
    return message.model_copy(update={"card": card.model_copy(update={"sections": sections})})


def _text_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return None


def is_form(value: dict[str, Any]) -> bool:
    """Whether an Action.Submit's value came from a form's submit button."""
    ours = value.get(DATA_KEY) if isinstance(value, dict) else None
    return isinstance(ours, dict) and ours.get("form") is True


def submitted(value: dict[str, Any]) -> tuple[str, str, dict[str, str]] | None:
    """The engine's ``(action, value, {input name: value})`` from an Action.Submit's value.

    Teams sends the action's ``data`` with each input's value beside it, keyed by
    the input's id. None when the payload is not one of this app's buttons.
    """
    if not isinstance(value, dict):
        return None
    ours = value.get(DATA_KEY)
    if not isinstance(ours, dict):
        return None
    engine_action = ours.get("action")
    engine_value = ours.get("value", "")
    if not isinstance(engine_action, str) or not engine_action:
        return None
    if not isinstance(engine_value, str):
        return None
    inputs: dict[str, str] = {}
    for name, raw in value.items():
        if name in {DATA_KEY, "msteams"}:
            continue
        text = _text_value(raw)
        if text is not None:
            inputs[name] = text
    return engine_action, engine_value, inputs
