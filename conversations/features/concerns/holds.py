"""What a message about a concern needs to stay true: the concern is still open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold
from conversations.registry import condition
from storage.models import Concern


@condition("concern_open")
async def concern_open_holds(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
    concern = await session.get(Concern, fields.get("concern"))
    if concern is None or concern.resolved_at is not None or concern.status == "resolved":
        return "the concern has been resolved"
    if fields.get("unacknowledged") and concern.acknowledged_at is not None:
        return "someone has acknowledged the concern"
    return None


def concern_open(concern: Concern) -> Hold:
    return Hold("concern_open", {"concern": concern.id})


def concern_unacknowledged(concern: Concern) -> Hold:
    """Still open and nobody has taken it (an escalation says it is waiting)."""
    return Hold("concern_open", {"concern": concern.id, "unacknowledged": True})
