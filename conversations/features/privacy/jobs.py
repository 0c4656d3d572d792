"""Privacy's timed job: free text past its retention period is deleted."""

from __future__ import annotations

from conversations.features.privacy import privacy
from conversations.registry import Tick, timed


@timed("retention_purge", order=90)
async def purge(tick: Tick) -> int:
    return await privacy.purge_expired(
        tick.session,
        now=tick.now,
        retention_days=tick.settings.retention_days,
        hooks=tick.registry.personal_data,
    )
