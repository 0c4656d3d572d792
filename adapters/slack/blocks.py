"""Neutral messages as Slack Block Kit: message blocks, form modals and the App Home.

Pure functions, no network. What Slack refuses is kept out by construction:

- a message has at most 50 blocks. Longer content keeps its header and buttons and
  as many sections as fit, and one context block says how to see the rest
  (``…more: type proposal <program> <page>``; see ``MORE_COMMANDS``);
- a section's text is at most 3,000 characters (longer text becomes several
  sections, split at line boundaries) and it has at most 10 fields of at most
  2,000 characters each (more fields become further sections);
- buttons: at most 25 per actions block (more make a second block), text at most
  75 characters, value at most 2,000. ``action_id`` is ``"<engine action>:<n>"``,
  ``n`` being the button's position in ``Message.buttons()``, so it is unique in
  the message and ``decode_action`` gets the engine's action back. A section's own
  buttons (a line of a card grouping several notices) follow it in their own actions
  block; pressing one answers that line only (``answered_line``);
- inputs cannot live in a message: a card with a form shows its sections and an
  "Open the form" button (``form.open:<n>``) whose value carries the submit
  button's action and value as compact JSON. Pressing it lets the adapter rebuild
  the form (``Engine.form``, given ``decode_form`` of that value) and open
  ``form_view`` as a modal; ``form_values`` turns the submitted state back into
  the engine's ``{name: value}``. Numbers use ``number_input`` with
  ``is_decimal_allowed: false`` (Slack's field name; slack_sdk agrees);
- modals and the App Home have at most 100 blocks; a modal's title, submit and
  close texts are at most 24 characters.

Cosmetic text (headers, labels, titles) is shortened with "…" when too long;
what the engine needs back (button values, action ids, option values) is never
cut: a value that cannot fit raises ``ValueError``.

The engine writes light markdown (``*bold*``, "• " bullets), which Slack's
mrkdwn reads as is. It escapes nothing, so ``&``, ``<`` and ``>`` are escaped
here (an entity that is already escaped is left alone): "help <command>" shows
as typed instead of vanishing as a link.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.layout import split_lines
from conversations import codec
from conversations.messages import (
    DEFAULT_MORE,
    MORE_COMMANDS,
    Button,
    Card,
    Input,
    Message,
    Section,
)

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_VIEW_TITLE = 24
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000
MAX_INPUT_TEXT = 3000
MAX_PRIVATE_METADATA = 3000

FORM_OPEN = codec.OPEN_FORM
"""The action of the button that opens a form as a modal."""
FORM_CALLBACK = "mentorbot.form"
"""The ``callback_id`` of every form modal (what a ``view_submission`` handler matches)."""
OPEN_FORM_LABEL = "Open the form"
CLOSE_LABEL = "Cancel"
LINE = "line:"
"""The start of the ``block_id`` of a section's own buttons (a line of a grouped card)."""


_BOLD = re.compile(r"\*([^*\n]+)\*")
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


# --- text ---------------------------------------------------------------------------------


def mrkdwn(text: str) -> str:
    """Engine text as Slack mrkdwn: ``*bold*`` kept, ``&``, ``<`` and ``>`` escaped."""
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


MAX_FALLBACK = 39_000
"""How much of a message's top-level ``text`` (the notification, the screen reader's
reading) is sent: Slack refuses or truncates past 40,000 characters."""


def fallback(message: Message) -> str:
    """A message's top-level ``text`` as Slack shows it in notifications: mrkdwn escaped
    like the blocks, so what a person wrote (a name, a goal) never becomes a link, a
    mention or ``<!channel>`` there either."""
    return _cut(mrkdwn(message.text), MAX_FALLBACK)


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, never ending inside an ``&amp;``-style entity."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    partial = _PARTIAL_ENTITY.search(head)
    if partial and re.match(r"&(?:amp|lt|gt);", text[partial.start() :]):
        head = head[: partial.start()]
    return head


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when it had to be cut."""
    if len(text) <= limit:
        return text
    return _cut(text, limit - 1).rstrip() + "…"


def _plain(text: str, limit: int, *, fallback: str = "…") -> str:
    """Plain text for a header, label or button: no markup, one line, within ``limit``."""
    flat = " ".join(_BOLD.sub(r"\1", text).split())
    return _shorten(flat, limit) or fallback


def _plain_object(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": _plain(text, limit), "emoji": True}


def _split(text: str, limit: int) -> list[str]:
    """Already-escaped text in pieces of at most ``limit``, split between lines where possible."""
    return split_lines(text, limit, cut=_cut)


def _chunks(items: Sequence[Block], size: int) -> list[list[Block]]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


# --- sections and buttons -------------------------------------------------------------------


def _section(text: str | None = None, fields: Sequence[Block] = ()) -> Block:
    block: Block = {"type": "section"}
    if text is not None:
        block["text"] = {"type": "mrkdwn", "text": text}
    if fields:
        block["fields"] = list(fields)
    return block


def _field(label: str, value: str) -> Block | None:
    parts = [f"*{mrkdwn(label.strip())}*" if label.strip() else "", mrkdwn(value)]
    text = "\n".join(part for part in parts if part)
    if not text.strip():
        return None
    return {"type": "mrkdwn", "text": _shorten(text, MAX_FIELD_TEXT)}


def _text_blocks(text: str) -> list[Block]:
    return [_section(piece) for piece in _split(mrkdwn(text), MAX_SECTION_TEXT)]


def section_blocks(section: Section) -> list[Block]:
    """One engine section as Slack sections: text split at 3,000, fields 10 at a time."""
    texts = _split(mrkdwn(section.text), MAX_SECTION_TEXT)
    fields = [f for f in (_field(f.label, f.value) for f in section.fields) if f is not None]
    groups = _chunks(fields, MAX_FIELDS)
    blocks = [_section(text) for text in texts[:-1]]
    if texts:
        blocks.append(_section(texts[-1], groups[0] if groups else ()))
        groups = groups[1:]
    blocks += [_section(None, group) for group in groups]
    return blocks


def encode_form(submit: Button) -> str:
    """A form's submit action and value as compact JSON (the "Open the form" button's value)."""
    encoded = codec.FormOpen(submit.action, submit.value).encode()
    if len(encoded) > MAX_BUTTON_VALUE:
        raise ValueError(
            f"the form for {submit.action!r} carries {len(encoded)} characters; "
            f"Slack allows {MAX_BUTTON_VALUE} in a button value"
        )
    return encoded


def decode_form(encoded: str) -> tuple[str, str]:
    """The submit action and value from ``encode_form`` (or a modal's private_metadata)."""
    try:
        submit = codec.FormOpen.decode(encoded)
    except codec.OutOfDate:
        raise ValueError(f"not a form reference this app made: {encoded[:80]!r}") from None
    return submit.action, submit.value


def _action_id(action: str, index: int) -> str:
    action_id = f"{action}:{index}"
    if len(action_id) > MAX_ACTION_ID:
        raise ValueError(f"action {action[:40]!r}… is too long for a Slack action_id")
    return action_id


def _button(*, label: str, action_id: str, value: str, style: str | None) -> Block:
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError(
            f"button {action_id!r} has a {len(value)}-character value; "
            f"Slack allows {MAX_BUTTON_VALUE}"
        )
    block: Block = {
        "type": "button",
        "text": _plain_object(label, MAX_BUTTON_TEXT),
        "action_id": action_id,
    }
    if value:
        block["value"] = value
    if style:
        block["style"] = style
    return block


def _buttons(card: Card, buttons: Sequence[Button], *, start: int = 0) -> list[Block]:
    elements: list[Block] = []
    for index, button in enumerate(buttons, start):
        if card.inputs and button is card.submit:
            elements.append(
                _button(
                    label=OPEN_FORM_LABEL,
                    action_id=_action_id(FORM_OPEN, index),
                    value=encode_form(button),
                    style=button.style,
                )
            )
        else:
            elements.append(
                _button(
                    label=button.label or button.action,
                    action_id=_action_id(button.action, index),
                    value=button.value,
                    style=button.style,
                )
            )
    return [{"type": "actions", "elements": group} for group in _chunks(elements, MAX_ACTIONS)]


def decode_action(action_id: str, value: str) -> tuple[str, str]:
    """The engine's (action, value) for a pressed button of a ``block_actions`` payload.

    "Open the form" gives ``(FORM_OPEN, packed)``: it is not for the engine. Open a
    modal instead: ``decode_form(packed)`` is the submit action and value, from
    which ``Engine.form`` rebuilds the form for ``form_view``.
    """
    action, colon, index = action_id.rpartition(":")
    if not colon or not action or not index.isdigit():
        raise ValueError(f"not an action id this app made: {action_id[:80]!r}")
    return action, value


def is_form_open(action_id: str) -> bool:
    """True for the "Open the form" button: open a modal rather than tell the engine."""
    return action_id.startswith(f"{FORM_OPEN}:")


# --- messages -------------------------------------------------------------------------------


def _more(kind: str, more: str | None) -> Block:
    command = more or MORE_COMMANDS.get(kind, DEFAULT_MORE)
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"…more: type {mrkdwn(command)}"}],
    }


def message_blocks(message: Message, *, more: str | None = None, start: int = 0) -> list[Block]:
    """Block Kit for ``chat.postMessage`` (``message.text`` remains the notification text).

    A section's own buttons follow it in an actions block whose ``block_id`` is
    ``line:<start>.<section>:<n>`` (``answered_line`` finds a pressed button's line by it); the
    card's buttons come last. Content beyond 50 blocks is dropped from the end of the
    sections, keeping the header and the card's buttons, and a context block says which
    command shows the rest: ``more``, or the one for the message's kind in
    ``MORE_COMMANDS``. Buttons are numbered from ``start`` (``home_view`` numbers them
    across its messages) in ``Message.buttons()`` order.
    """
    card = message.card
    head: list[Block] = []
    body: list[Block] = []
    tail: list[Block] = []
    if card is not None:
        if card.inputs and card.submit is None:
            raise ValueError(f"the {message.kind} form has inputs but no submit button")
        if card.header.strip():
            head.append({"type": "header", "text": _plain_object(card.header, MAX_HEADER)})
        pressed = start
        for number, section in enumerate(card.sections):
            body += section_blocks(section)
            if section.buttons:
                rows = _buttons(card, section.buttons, start=pressed)
                for part, row in enumerate(rows):
                    row["block_id"] = f"{LINE}{start}.{number}:{part}"  # unique in a view
                body += rows
                pressed += len(section.buttons)
        tail = _buttons(card, card.buttons + ((card.submit,) if card.submit else ()), start=pressed)
    if not body:
        body = _text_blocks(message.text)
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    if len(body) > room:
        body = [*body[: room - 1], _more(message.kind, more)]
    return head + body + tail


def answered_line(blocks: Sequence[Block], block_id: str, note: Block) -> list[Block] | None:
    """The message's blocks once one line's button was pressed: that line's buttons give
    way to ``note``, the other lines keep theirs. None when the press was not on a line
    (the whole message is answered)."""
    if not block_id.startswith(LINE):
        return None
    line = block_id.rsplit(":", 1)[0] + ":"
    kept: list[Block] = []
    noted = False
    for block in blocks:
        if block.get("type") == "actions" and str(block.get("block_id", "")).startswith(line):
            if not noted:
                kept.append(note)
                noted = True
            continue
        kept.append(block)
    return kept


def form_metadata(message: Message) -> str:
    """What a form modal's ``private_metadata`` can carry: the submit action and value."""
    if message.card is None or message.card.submit is None:
        raise ValueError(f"the {message.kind} message has no form to submit")
    return encode_form(message.card.submit)


def _option(label: str, value: str) -> Block:
    if len(value) > MAX_OPTION_VALUE:
        raise ValueError(f"option value {value[:40]!r}… is longer than Slack's {MAX_OPTION_VALUE}")
    return {"text": _plain_object(label, MAX_OPTION_TEXT), "value": value}


def _element(item: Input) -> Block:
    element: Block = {"action_id": item.name}
    if item.kind == "select":
        if not 1 <= len(item.options) <= MAX_OPTIONS:
            raise ValueError(
                f"select {item.name!r} has {len(item.options)} options; "
                f"Slack shows 1 to {MAX_OPTIONS}"
            )
        options = [_option(o.label, o.value) for o in item.options]
        element.update(type="static_select", options=options)
        chosen = next((o for o in options if o["value"] == item.initial), None)
        if item.initial and chosen is not None:
            element["initial_option"] = chosen
    elif item.kind == "number":
        element.update(type="number_input", is_decimal_allowed=False)
        if re.fullmatch(r"-?\d+", item.initial.strip()):
            element["initial_value"] = item.initial.strip()
    else:
        element["type"] = "plain_text_input"
        if item.kind == "multiline":
            element["multiline"] = True
        if item.initial:
            element["initial_value"] = item.initial[:MAX_INPUT_TEXT]
    if item.placeholder.strip():
        element["placeholder"] = _plain_object(item.placeholder, MAX_PLACEHOLDER)
    return element


def input_block(item: Input) -> Block:
    """One form input as a modal input block; ``block_id`` and ``action_id`` are its name."""
    if not 1 <= len(item.name) <= MAX_ACTION_ID:
        raise ValueError(f"input name {item.name[:40]!r} cannot be a Slack block_id")
    block: Block = {
        "type": "input",
        "block_id": item.name,
        "label": _plain_object(item.label or item.name, MAX_LABEL),
        "element": _element(item),
    }
    if not item.required:
        block["optional"] = True
    if item.hint.strip():
        block["hint"] = _plain_object(item.hint, MAX_LABEL)
    return block


def form_view(message: Message, *, private_metadata: str) -> dict[str, Any]:
    """A card's form as a modal for ``views.open`` (``callback_id`` is ``FORM_CALLBACK``).

    The card's sections come first, then one input block per input. A header too
    long for the 24-character title is also shown whole as a header block.
    """
    card = message.card
    if card is None or not card.inputs:
        raise ValueError(f"the {message.kind} message has no form")
    if len(private_metadata) > MAX_PRIVATE_METADATA:
        raise ValueError(f"private_metadata is longer than Slack's {MAX_PRIVATE_METADATA}")
    inputs = [input_block(item) for item in card.inputs]
    if len(inputs) > MAX_VIEW_BLOCKS:
        raise ValueError(f"the {message.kind} form has more than {MAX_VIEW_BLOCKS} inputs")
    intro: list[Block] = []
    title = card.header or "Mentorbot"
    if len(_plain(title, 10_000)) > MAX_VIEW_TITLE:
        intro.append({"type": "header", "text": _plain_object(title, MAX_HEADER)})
    for section in card.sections:
        intro += section_blocks(section)
    intro = intro[: MAX_VIEW_BLOCKS - len(inputs)]
    submit = card.submit.label if card.submit else "Send"
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": _plain_object(title, MAX_VIEW_TITLE),
        "submit": _plain_object(submit, MAX_VIEW_TITLE),
        "close": _plain_object(CLOSE_LABEL, MAX_VIEW_TITLE),
        "private_metadata": private_metadata,
        "blocks": intro + inputs,
    }


def _block_states(view_state: Mapping[str, Any]) -> Mapping[str, Any]:
    """``view.state.values`` whether given ``view["state"]`` or its ``values`` itself.

    Told apart by shape: in ``values`` each block maps action ids to a state with a
    ``"type"`` string, so a block named "values" is never mistaken for the wrapper.
    """
    inner = view_state.get("values")
    if isinstance(inner, Mapping) and all(
        isinstance(actions, Mapping) and all(isinstance(s, Mapping) for s in actions.values())
        for actions in inner.values()
    ):
        return inner
    return view_state


def form_values(view_state: Mapping[str, Any]) -> dict[str, str]:
    """The engine's ``{name: value}`` from a ``view_submission``'s state.

    Takes ``view["state"]`` or ``view["state"]["values"]``. Selects give their
    chosen option's value; text and number inputs their text; anything left empty
    gives "".
    """
    values: dict[str, str] = {}
    for actions in _block_states(view_state).values():
        for name, state in (actions or {}).items():
            if not isinstance(state, Mapping):
                values[name] = ""
                continue
            if "selected_option" in state or state.get("type") in {
                "static_select",
                "radio_buttons",
            }:
                chosen = state.get("selected_option") or {}
                values[name] = str(chosen.get("value") or "")
            else:
                values[name] = str(state.get("value") or "")
    return values


# --- App Home -------------------------------------------------------------------------------


def home_view(sections: list[Message]) -> dict[str, Any]:
    """An App Home tab stacking messages, divided, within 100 blocks.

    Messages are kept whole: once the next one would not fit, a context block
    points to the Messages tab instead. Buttons are numbered across the whole view,
    so every ``action_id`` in it is unique.
    """
    blocks: list[Block] = []
    pressed = 0
    for position, message in enumerate(sections):
        part = message_blocks(message, start=pressed)
        pressed += len(message.buttons())
        if blocks:
            part = [{"type": "divider"}, *part]
        last = position == len(sections) - 1
        if len(blocks) + len(part) > MAX_VIEW_BLOCKS - (0 if last else 1):
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": "…more: type help in the Messages tab"}
                    ],
                }
            )
            break
        blocks += part
    if not blocks:
        blocks.append(_section("Nothing to show yet: type help in the Messages tab."))
    return {"type": "home", "blocks": blocks}
