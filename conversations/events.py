"""Neutral inbound events.

Adapters turn whatever their platform sends into one of these. ``Actor`` names
who is speaking in platform terms (the engine maps it to a stored person);
everything else is what they did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.messages import Attachment


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    platform: str
    """"slack", "teams" or "console"."""
    workspace: str
    """The platform's id for the workspace or tenant."""
    user_id: str
    display_name: str = ""
    timezone: str | None = None
    locale: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSent:
    """The person typed a command, e.g. ``pair @ana @ben career``."""

    actor: Actor
    text: str
    attachments: tuple[Attachment, ...] = ()
    """Files sent with the command (e.g. a CSV to import), already downloaded by the adapter."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPressed:
    actor: Actor
    action: str
    value: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSubmitted:
    actor: Actor
    action: str
    value: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonJoined:
    """The person joined the workspace or installed the bot: greet them once."""

    actor: Actor


Event = CommandSent | ButtonPressed | FormSubmitted | PersonJoined
