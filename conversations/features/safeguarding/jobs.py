"""Safeguarding's timed job: a lapsed clearance pauses its pairs before anything else."""

from __future__ import annotations

from conversations.features.safeguarding import safeguarding
from conversations.registry import Tick, timed


@timed("clearance_pause", order=0)
async def clearance_pause(tick: Tick) -> int:
    """First in every tick: a pair whose mentor's clearance lapsed gets nothing else."""
    return await safeguarding.clearance_expired(tick.session, now=tick.now)
