"""Neutral messages as readable terminal text, with numbered buttons to press."""

from __future__ import annotations

import re
import textwrap

from conversations.messages import Message

WIDTH = 78
_BOLD = re.compile(r"\*([^*\n]+)\*")


def plain(text: str) -> str:
    """Drop the light ``*bold*`` markup that chat platforms render."""
    return _BOLD.sub(r"\1", text)


def _wrap(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    for raw in plain(text).splitlines() or [""]:
        bullet = raw.startswith("• ")
        lines += textwrap.wrap(
            raw,
            width=WIDTH - len(indent),
            initial_indent=indent,
            subsequent_indent=indent + ("  " if bullet else ""),
            break_long_words=True,
        ) or [indent.rstrip()]
    return lines


def render(message: Message, *, compact: bool = False) -> str:
    """The message as text. Buttons are numbered 1..n in ``message.buttons()`` order."""
    card = message.card
    if card is None or compact:
        lines = _wrap(message.text, "")
        if card is not None and message.buttons():
            lines.append(
                "  " + "  ".join(f"[{n}] {b.label}" for n, b in enumerate(message.buttons(), 1))
            )
        return "\n".join(lines)
    lines = [f"┌─ {plain(card.header)}" if card.header else "┌─"]
    number = 0
    for section in card.sections:
        if section.text:
            lines += _wrap(section.text, "│ ")
        for field in section.fields:
            lines += _wrap(f"{field.label}: {field.value}", "│   ")
        if section.buttons:  # a line's own buttons, numbered with the rest
            lines.append(
                "│ "
                + "  ".join(f"[{number + n}] {b.label}" for n, b in enumerate(section.buttons, 1))
            )
            number += len(section.buttons)
        lines.append("│")
    for item in card.inputs:
        detail = ""
        if item.options:
            detail = " (" + " / ".join(o.label for o in item.options) + ")"
        required = " *" if item.required else ""
        lines += _wrap(f"▭ {item.label}{required}{detail}", "│ ")
        if item.hint:
            lines += _wrap(f"  {item.hint}", "│ ")
    buttons = message.buttons()[number:]
    if buttons:
        lines.append(
            "│ " + "  ".join(f"[{number + n}] {b.label}" for n, b in enumerate(buttons, 1))
        )
    elif lines[-1] == "│":
        lines.pop()
    lines.append("└─")
    return "\n".join(lines)
