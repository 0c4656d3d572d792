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
    """The person typed something to the bot: a command, e.g. ``pair @ana @ben career``,
    or, in a private chat, anything else they wanted to say."""

    actor: Actor
    text: str
    attachments: tuple[Attachment, ...] = ()
    """Files sent with the command (e.g. a CSV to import), already downloaded by the adapter."""
    direct: bool = False
    """Written in a private chat with the bot (a Slack DM, a Teams personal chat, the
    console), where words that name no command are conversation (a reply, a greeting);
    False for a slash command or a message in a channel."""


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
