"""Errors a person can cause, phrased for that person.

Raising one rolls back the event's transaction, so a refused command changes
nothing; the engine turns it into a friendly reply (with the right usage where
that helps). Anything else that goes wrong is ours: it is logged with context
and the person gets an apology, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from conversations.messages import Button


class UserError(Exception):
    """Bad input or a request that cannot be honoured: tell the person why."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class NotAllowed(UserError):
    """The person's role does not allow this verb."""


class Choose(UserError):
    """Several things fit and the person did not say which: a refusal that asks, with a
    button per answer (each runs the command again with the answer added). The message
    says in words what to type as well, for a platform that shows no buttons."""

    def __init__(self, message: str, *, buttons: Sequence[Button]) -> None:
        super().__init__(message)
        self.buttons = tuple(buttons)
