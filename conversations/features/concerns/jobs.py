"""Concerns' timed job: an urgent concern nobody acknowledged goes to the next contact."""

from __future__ import annotations

from conversations.features.concerns import concerns
from conversations.registry import Tick, timed


@timed("concern_escalation", order=81)
async def escalate(tick: Tick) -> int:
    return await concerns.escalate_due(
        tick.session, now=tick.now, minutes=tick.settings.concern_escalation_minutes
    )
