"""What matching keeps about a person: mentee-choice suggestions that involve them."""

from __future__ import annotations

from sqlalchemy import or_, update

from conversations.registry import Forgetting, forgets
from storage.models import MatchOffer, OfferStatus


@forgets("match_suggestions", order=35)
async def withdraw_offers(forgetting: Forgetting) -> None:
    """Open suggestions that involve them close; every suggestion's reason, which named
    them, is cleared."""
    session, person = forgetting.session, forgetting.person
    involved = or_(MatchOffer.mentor_id == person.id, MatchOffer.mentee_id == person.id)
    await session.execute(
        update(MatchOffer)
        .where(
            involved,
            MatchOffer.status.in_((OfferStatus.SUGGESTED, OfferStatus.OFFERED, OfferStatus.ASKED)),
        )
        .values(status=OfferStatus.WITHDRAWN, decided_at=forgetting.now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(MatchOffer)
        .where(involved)
        .values(reason="")
        .execution_options(synchronize_session=False)
    )
