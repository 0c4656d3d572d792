"""What a digest needs to stay true: its reader is still subscribed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold
from conversations.registry import condition
from storage.models import DigestSubscription


@condition("subscribed")
async def subscribed_holds(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
    if await session.get(DigestSubscription, fields.get("subscription")) is None:
        return "the reader has unsubscribed"
    return None


def subscribed(subscription_id: int) -> Hold:
    return Hold("subscribed", {"subscription": subscription_id})
