"""A number with its noun, as a person writes it: "1 attempt", "3 attempts", "1 place".

One helper for every reply that counts something, so no message says "attempt(s)".
"""

from __future__ import annotations


def counted(number: int, one: str, many: str | None = None) -> str:
    """``number`` and the noun in the form that number takes (``many`` when the plural is
    not the noun plus "s": "1 pairing has", "2 pairings have")."""
    return f"{number} {one if number == 1 else (many or one + 's')}"
