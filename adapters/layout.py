"""Layout helpers every adapter needs: platforms cap how much text one element holds."""

from __future__ import annotations

from collections.abc import Callable


def _head(text: str, limit: int) -> str:
    return text[:limit]


def split_lines(text: str, limit: int, *, cut: Callable[[str, int], str] = _head) -> list[str]:
    """Text in pieces of at most ``limit`` characters, split between lines where possible.

    A single line longer than the limit is broken at a space; ``cut`` takes the longest
    allowed head of a line (Slack's never ends inside an ``&amp;`` entity).
    """
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one line too long on its own: break it at a space
            if current:
                pieces.append(current)
                current = ""
            head = cut(line, limit)
            space = head.rfind(" ")
            if space > limit // 2:
                head = head[:space]
            pieces.append(head.rstrip())
            line = line[len(head) :].lstrip()
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()]
