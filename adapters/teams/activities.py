"""Reading what Teams sends and writing what it shows: activities ↔ neutral terms.

Pure functions over botbuilder's ``Activity`` objects, no network:

- who is speaking (:func:`actor`), in which tenant (:func:`tenant_id`) and where
  (:func:`conversation_kind`);
- the command someone typed (:func:`command_text`): Teams puts each @mention in the
  text as ``<at>Name</at>`` with a ``mention`` entity saying whom it means. The bot's
  own mention is removed (``TurnContext.remove_recipient_mention``); everyone else's
  becomes the engine's verified mention ``<@29:…|Name>`` and a tagged channel its
  ``<#19:…|Name>``, so one grammar serves Slack and Teams;
- a neutral message as a Teams message activity (:func:`message_activity`): an
  Adaptive Card when it has a card, otherwise markdown text.
"""

from __future__ import annotations

import contextlib
import html
import re
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment, ConversationReference

from adapters.teams.cards import adaptive_card, markdown
from conversations import codec
from conversations.events import Actor
from conversations.messages import Message

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
DEFAULT_TENANT = "default"
"""The workspace of activities that name no tenant (the Bot Framework Emulator)."""
MAX_SUMMARY = 250

_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_UNSAFE_NAME = re.compile(r"[|<>\n\r]")


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: channel data is free-form."""
    return value if isinstance(value, dict) else {}


def tenant_id(activity: Activity) -> str:
    """The Microsoft 365 tenant the activity comes from: the bot's workspace for it."""
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        return str(conversation.tenant_id)
    tenant = as_dict(as_dict(activity.channel_data).get("tenant"))
    return str(tenant.get("id") or DEFAULT_TENANT)


def conversation_kind(activity: Activity) -> str:
    """ "personal", "channel" or "groupChat" (Teams' own words); "personal" when unsaid."""
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    return str(kind) if kind in ("personal", "channel", "groupChat") else "personal"


def channel_id(activity: Activity) -> str | None:
    """The team channel an activity happened in (without a thread's ``;messageid=``)."""
    channel = as_dict(as_dict(activity.channel_data).get("channel"))
    if channel.get("id"):
        return str(channel["id"])
    if conversation_kind(activity) == "channel" and activity.conversation is not None:
        return str(activity.conversation.id).split(";", 1)[0]
    return None


def team_of(activity: Activity) -> str | None:
    """The team an activity in a channel comes from, as ``channelData.team.id`` names it."""
    team = as_dict(as_dict(activity.channel_data).get("team"))
    return str(team["id"]) if team.get("id") else None


def channel_name(activity: Activity) -> str:
    data = as_dict(activity.channel_data)
    channel, team = as_dict(data.get("channel")), as_dict(data.get("team"))
    return str(channel.get("name") or team.get("name") or "General")[:200]


def actor_of(activity: Activity, *, email: str | None = None) -> Actor:
    """The person behind an activity. Teams sends the sender's IANA time zone on messages."""
    sender = activity.from_property
    return Actor(
        platform="teams",
        workspace=tenant_id(activity),
        user_id=str(sender.id if sender is not None else ""),
        display_name=str((sender.name if sender is not None else "") or ""),
        timezone=activity.local_timezone or None,
        locale=(activity.locale or None),
        email=email,
    )


def _clean_name(name: str) -> str:
    return _UNSAFE_NAME.sub(" ", html.unescape(name)).strip()


def _mention_ids(activity: Activity) -> list[tuple[str, str, str]]:
    """(text as it appears, mentioned id, name) of every mention that is not the bot."""
    bot = activity.recipient.id if activity.recipient is not None else None
    found = []
    for entity in activity.entities or []:
        if str(getattr(entity, "type", "") or "").lower() != "mention":
            continue
        data = as_dict(getattr(entity, "additional_properties", None))
        mentioned = as_dict(data.get("mentioned"))
        ident = str(mentioned.get("id") or "")
        if not ident or ident == bot:
            continue
        found.append((str(data.get("text") or ""), ident, _clean_name(str(mentioned.get("name")))))
    return found


def command_text(activity: Activity) -> str:
    """What the person typed, as the engine's grammar reads it (see the module docstring)."""
    text = activity.text if isinstance(activity.text, str) else ""
    if activity.recipient is not None and all(
        isinstance(getattr(e, "type", None), str) for e in activity.entities or []
    ):
        # A malformed mention entity: the bot's own tag is dropped below instead.
        with contextlib.suppress(KeyError, TypeError, AttributeError, re.error):
            text = TurnContext.remove_recipient_mention(activity) or ""
    for shown, ident, name in _mention_ids(activity):
        if ident.startswith("19:"):
            ref = codec.channel(ident.split(";", 1)[0], name)
        else:
            ref = codec.mention(ident, name)
        if shown and shown in text:
            text = text.replace(shown, f" {ref} ", 1)
    bot_name = activity.recipient.name if activity.recipient is not None else None

    def untag(match: re.Match[str]) -> str:
        """A tag without a usable entity: the bot's own goes, anyone else keeps the name."""
        return "" if bot_name and match.group(1).strip() == bot_name else match.group(1)

    text = _AT.sub(untag, text)
    text = html.unescape(text.replace("&nbsp;", " "))
    return " ".join(text.split())


def submitted_value(activity: Activity) -> dict[str, Any] | None:
    """The data of an ``Action.Submit`` (a message whose value is the card's data), or of
    an ``Action.Execute`` (an ``adaptiveCard/action`` invoke)."""
    value = activity.value
    if activity.type == "invoke":
        action = value.get("action") if isinstance(value, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        return data if isinstance(data, dict) else None
    return value if isinstance(value, dict) else None


def _summary(text: str) -> str:
    flat = " ".join(text.replace("*", "").split())
    return flat if len(flat) <= MAX_SUMMARY else flat[: MAX_SUMMARY - 1] + "…"


def card_attachment(card: dict[str, Any]) -> Attachment:
    return Attachment(content_type=CARD_TYPE, content=card)


def message_activity(message: Message) -> Activity:
    """A neutral message as Teams shows it: its card, or its text as markdown."""
    if message.card is not None:
        activity = MessageFactory.attachment(card_attachment(adaptive_card(message)))
        activity.summary = _summary(message.text)  # the notification's preview line
        return activity
    activity = MessageFactory.text(markdown(message.text))
    activity.text_format = "markdown"
    return activity


def reference_dict(activity: Activity) -> dict[str, Any]:
    """The activity's ConversationReference as JSON (camelCase, as the Bot Framework)."""
    reference = TurnContext.get_conversation_reference(activity)
    return dict(reference.serialize())


def reference_of(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference().deserialize(data)
