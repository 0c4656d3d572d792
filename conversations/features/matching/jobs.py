"""Matching's timed job: mentor requests nobody answered in time count as declines."""

from __future__ import annotations

from conversations.features.matching import offers
from conversations.registry import Tick, timed


@timed("offer_expiry", order=80)
async def expire_offers(tick: Tick) -> int:
    return await offers.expire_due(tick.session, now=tick.now)
