"""What a message about a mentee-choice suggestion needs to stay true: it is still open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold
from conversations.registry import condition
from storage.models import MatchOffer, OfferStatus

OPEN = (OfferStatus.SUGGESTED, OfferStatus.OFFERED, OfferStatus.ASKED)


@condition("offer_open")
async def offer_open_holds(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
    offer = await session.get(MatchOffer, fields.get("offer"))
    if offer is None or offer.status not in OPEN:
        return "the suggestion has been decided"
    return None


def offer_open(offer: MatchOffer) -> Hold:
    return Hold("offer_open", {"offer": offer.id})
