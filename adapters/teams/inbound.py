"""What an activity must hold before the Teams adapter acts on it.

botbuilder deserialises whatever JSON it is given: an activity without a sender
would make a person with no id, one without a conversation fails only when the bot
answers (after the engine has acted), and ids longer than Teams makes them fail in
the database half-way through a turn. Each is refused here with a clear 400 instead,
before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_USER_ID = 128
"""The length of the column a person's platform id is kept in."""
MAX_TENANT_ID = 128
"""The length of the column a workspace's platform id is kept in."""
MAX_RETRY_KEY = 255
"""The length of the column a retried activity is recognised by: conversation id, "|",
activity id."""


def _id(value: Any) -> str | None:
    """A non-blank id, or None."""
    return value if isinstance(value, str) and value.strip() else None


def problem(body: Mapping[str, Any]) -> str | None:
    """Why this activity cannot be acted on, in a sentence; None when it can."""
    sender = body.get("from")
    user = _id(sender.get("id")) if isinstance(sender, dict) else None
    if user is None:
        return "the activity names no sender (from.id)"
    if len(user) > MAX_USER_ID:
        return "from.id is longer than Teams makes them"
    conversation = body.get("conversation")
    where = _id(conversation.get("id")) if isinstance(conversation, dict) else None
    if where is None:
        return "the activity names no conversation (conversation.id)"
    activity_id = body.get("id")
    if activity_id is not None and not isinstance(activity_id, str):
        return "the activity's id is not a string"
    if len(where) + 1 + len(activity_id or "") > MAX_RETRY_KEY:
        return "conversation.id and id are longer than Teams makes them"
    channel_data = body.get("channelData")
    tenants = [
        conversation.get("tenantId") if isinstance(conversation, dict) else None,
        (channel_data.get("tenant") or {}).get("id")
        if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict)
        else None,
    ]
    if any(isinstance(t, str) and len(t) > MAX_TENANT_ID for t in tenants):
        return "the tenant id is longer than Teams makes them"
    return None
