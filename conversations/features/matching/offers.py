"""Mentee-choice mode: mentees choose among suggested mentors; mentors accept or decline.

A mentee is offered up to three mentors and asks one. The mentor has a window
(three days unless the programme says otherwise) to accept or decline; a
decline or silence moves on to the mentee's next suggestion, and when none are
left the coordinators are told. Every step is a row, so it survives restarts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import cards, codec
from conversations.counting import counted
from conversations.curriculum import Library
from conversations.durations import describe
from conversations.errors import UserError
from conversations.features.matching import eligibility
from conversations.features.matching.holds import offer_open
from conversations.features.pairing import journeys
from conversations.features.programmes.holds import programme_open
from conversations.kinds import Kind
from conversations.messages import Button, Card, Message, Section
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import (
    EnrolmentStatus,
    MatchOffer,
    OfferStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Side,
)

DEFAULT_WINDOW_DAYS = 3


def window(programme: Programme) -> timedelta:
    return timedelta(days=int(programme.settings.get("choice_window_days", DEFAULT_WINDOW_DAYS)))


async def offers_for(
    session: AsyncSession, *, programme_id: int, mentee_id: int, statuses: tuple[str, ...]
) -> list[MatchOffer]:
    rows = await session.scalars(
        select(MatchOffer)
        .where(
            MatchOffer.programme_id == programme_id,
            MatchOffer.mentee_id == mentee_id,
            MatchOffer.status.in_(statuses),
        )
        .order_by(MatchOffer.rank)
    )
    return list(rows.unique())


def choice_card(programme: Programme, offers: list[MatchOffer]) -> Message:
    sections = tuple(Section(text=f"*{o.mentor.label}*: {o.reason}") for o in offers)
    return Message(
        text=f"{programme.name}: choose who you'd like to ask to be your mentor: "
        + ", ".join(o.mentor.label for o in offers)
        + ".",
        card=Card(
            header="Choose your mentor",
            sections=(
                Section(
                    text=f"Here are the mentors in *{programme.name}* who suit you best. "
                    "Ask one; if they can't take you on, I'll ask your next suggestion."
                ),
                *sections,
            ),
            buttons=tuple(
                Button(
                    label=f"Ask {o.mentor.label}",
                    action="offer.choose",
                    value=codec.Ref(o.id).encode(),
                    style="primary" if n == 0 else None,
                )
                for n, o in enumerate(offers)
            ),
        ),
        kind=Kind.MENTOR_CHOICE,
    )


async def publish_offers(session: AsyncSession, *, programme: Programme, now: datetime) -> int:
    """Send each mentee their suggestions. Returns how many mentees were offered a choice."""
    rows = await session.scalars(
        select(MatchOffer)
        .where(MatchOffer.programme_id == programme.id, MatchOffer.status == OfferStatus.SUGGESTED)
        .order_by(MatchOffer.mentee_id, MatchOffer.rank)
    )
    by_mentee: dict[int, list[MatchOffer]] = {}
    for offer in rows.unique():
        offer.status = OfferStatus.OFFERED
        by_mentee.setdefault(offer.mentee_id, []).append(offer)
    outbox = Outbox(session, now)
    for offers in by_mentee.values():
        await outbox.to_person(
            offers[0].mentee,
            choice_card(programme, offers),
            key=f"offers:{programme.id}:{offers[0].mentee_id}:{offers[0].id}",
            holds=(programme_open(programme), offer_open(offers[0])),
            about=[offer.mentor for offer in offers],
        )
    return len(by_mentee)


async def _ask(
    session: AsyncSession, offer: MatchOffer, programme: Programme, now: datetime
) -> None:
    offer.status = OfferStatus.ASKED
    offer.asked_at = now
    offer.expires_at = now + window(programme)
    by = cards.local_date(offer.expires_at, offer.mentor.timezone)
    await Outbox(session, now).to_person(
        offer.mentor,
        Message(
            text=f"{offer.mentee.label} would like you as their mentor in {programme.name}. "
            f"Please accept or decline by {by}.",
            card=Card(
                header="Would you mentor someone?",
                sections=(
                    Section(
                        text=f"*{offer.mentee.label}* would like you as their mentor in "
                        f"*{programme.name}*."
                    ),
                    Section(text=f"*Why you were suggested:* {offer.reason}"),
                    Section(
                        text=f"Please answer by {by}. Declining is fine: I'll ask their "
                        "next suggestion, and they won't be told why."
                    ),
                ),
                buttons=(
                    Button(
                        label="Accept",
                        action="offer.accept",
                        value=codec.Ref(offer.id).encode(),
                        style="primary",
                    ),
                    Button(
                        label="Decline",
                        action="offer.decline",
                        value=codec.Ref(offer.id).encode(),
                    ),
                ),
            ),
            kind=Kind.MENTOR_REQUEST,
        ),
        key=f"offer:{offer.id}:ask",
        holds=(programme_open(programme), offer_open(offer)),
        about=offer.mentee,
    )


async def choose(session: AsyncSession, *, offer: MatchOffer, mentee: Person, now: datetime) -> str:
    if offer.mentee_id != mentee.id:
        raise UserError("That choice belongs to someone else.")
    programme = await session.get(Programme, offer.programme_id)
    assert programme is not None
    if programme.status not in repo.RUNNING_PROGRAMMES:
        raise UserError(f"{programme.name} isn't running right now.")
    pending = await offers_for(
        session, programme_id=programme.id, mentee_id=mentee.id, statuses=(OfferStatus.ASKED,)
    )
    if pending:
        return (
            f"You've already asked {pending[0].mentor.label}; I'll tell you as soon as they answer."
        )
    if offer.status != OfferStatus.OFFERED:
        raise UserError("That suggestion is no longer open. Type status to see where you are.")
    enrolment = await repo.enrolment(
        session, programme_id=programme.id, person_id=mentee.id, side=Side.MENTEE
    )
    if enrolment is not None and eligibility.hold(programme, enrolment, mentee) == "conduct":
        raise UserError(
            f"The code of conduct for {programme.name} has changed. Please read it and accept "
            f"it first (conduct {programme.key}), then ask again."
        )
    await _ask(session, offer, programme, now)
    return (
        f"I've asked {offer.mentor.label}. You'll hear back within {describe(window(programme))}."
    )


async def respond(
    session: AsyncSession,
    *,
    offer: MatchOffer,
    mentor: Person,
    accept: bool,
    library: Library,
    now: datetime,
) -> str:
    if offer.mentor_id != mentor.id:
        raise UserError("That request was sent to someone else.")
    if offer.status != OfferStatus.ASKED or (offer.expires_at and offer.expires_at <= now):
        raise UserError("That request has already been settled. Thank you for answering.")
    programme = await session.get(Programme, offer.programme_id)
    assert programme is not None
    if not accept:
        offer.status = OfferStatus.DECLINED
        offer.decided_at = now
        await _move_on(
            session,
            offer,
            programme,
            now,
            why=f"{offer.mentor.label} can't take on a mentee right now",
        )
        return "Thanks for letting me know. I'll ask their next suggestion; they won't be told why."
    curriculum = library.get(programme.curriculum_key)
    enrolment = await repo.enrolment(
        session, programme_id=programme.id, person_id=mentor.id, side=Side.MENTOR
    )
    taken = await repo.count_live_mentees(session, programme_id=programme.id, mentor_id=mentor.id)
    if curriculum is None or enrolment is None or enrolment.status != EnrolmentStatus.ACTIVE:
        raise UserError("You're not an active mentor in this programme any more.")
    if taken >= enrolment.capacity:
        raise UserError(
            f"You already mentor {taken} of your {counted(enrolment.capacity, 'place')}. "
            "Decline, or ask your coordinator to raise your capacity first."
        )
    mentee_enrolment = await repo.enrolment(
        session, programme_id=programme.id, person_id=offer.mentee_id, side=Side.MENTEE
    )
    if mentee_enrolment is None or mentee_enrolment.status != EnrolmentStatus.ACTIVE:
        raise UserError(f"{offer.mentee.label} is no longer taking part. Thank you for answering.")
    found = await eligibility.problems(
        session,
        programme=programme,
        mentor=mentor,
        mentee=offer.mentee,
        mentor_enrolment=enrolment,
        mentee_enrolment=mentee_enrolment,
        now=now,
    )
    held = [p for p in found if p.kind in ("conduct", "guardian", "no_adult")]
    if any(p.person is not None and p.person.id == mentor.id and p.kind == "conduct" for p in held):
        raise UserError(
            f"The code of conduct for {programme.name} has changed. Please read and accept it "
            f"first (conduct {programme.key}), then press Accept again."
        )
    if held:
        raise UserError(
            "Thank you. Something still has to be recorded before this pairing can start; "
            "please press Accept again in a day or two, or ask your coordinator."
        )
    if found:
        # A rule rules the pair out (which one stays with the coordinators): move on.
        offer.status = OfferStatus.WITHDRAWN
        offer.decided_at = now
        await _move_on(
            session,
            offer,
            programme,
            now,
            why=f"{offer.mentor.label} can't take on a mentee right now",
        )
        return "Thank you. This pairing can't go ahead after all; I'll ask their next suggestion."
    offer.status = OfferStatus.ACCEPTED
    offer.decided_at = now
    for other in await offers_for(
        session,
        programme_id=programme.id,
        mentee_id=offer.mentee_id,
        statuses=(OfferStatus.OFFERED, OfferStatus.SUGGESTED),
    ):
        other.status = OfferStatus.WITHDRAWN
    await journeys.start_pair(
        session,
        programme=programme,
        curriculum=curriculum,
        mentor=mentor,
        mentee=offer.mentee,
        note=None,
        created_by=None,
        now=now,
    )
    return f"Thank you. I've introduced you to {offer.mentee.label}."


async def _move_on(
    session: AsyncSession, offer: MatchOffer, programme: Programme, now: datetime, *, why: str
) -> None:
    """After a decline or silence: ask the mentee's next suggestion, or tell coordinators."""
    outbox = Outbox(session, now)
    remaining = await offers_for(
        session,
        programme_id=programme.id,
        mentee_id=offer.mentee_id,
        statuses=(OfferStatus.OFFERED,),
    )
    if remaining:
        following = remaining[0]
        await _ask(session, following, programme, now)
        text = (
            f"{why}, so I've asked {following.mentor.label}, your next suggestion. "
            "You'll hear back soon."
        )
    else:
        text = (
            f"{why}, and that was your last suggestion. Your coordinator will find you "
            "a mentor; you don't need to do anything."
        )
        await outbox.to_coordinators(
            programme.workspace_id,
            Message(
                text=f"{offer.mentee.label} in {programme.name} has no mentor yet: every "
                "suggestion declined or didn't answer. Pair them by hand or run match "
                "again.",
                kind=Kind.COORDINATOR_UNMATCHED,
            ),
            key=f"offer:{offer.id}:exhausted",
            holds=(programme_open(programme),),
            about=offer.mentee,
        )
    await outbox.to_person(
        offer.mentee,
        Message(text=text, kind=Kind.OFFER_UPDATE),
        key=f"offer:{offer.id}:moved-on",
        holds=(programme_open(programme),),
        about=remaining[0].mentor if remaining else None,
    )


async def withdraw_between(
    session: AsyncSession, *, blocker: Person, other: Person, now: datetime
) -> int:
    """A block withdraws every open suggestion and request between the two people.

    A request already put to the mentor moves on to the mentee's next suggestion, as
    a decline would; when the mentor blocked, the mentee hears only what a decline
    says, so they never learn of the block. Returns how many offers were withdrawn.
    """
    rows = await session.scalars(
        select(MatchOffer)
        .join(Programme, Programme.id == MatchOffer.programme_id)
        .where(
            Programme.workspace_id == blocker.workspace_id,
            (
                (MatchOffer.mentee_id == blocker.id) & (MatchOffer.mentor_id == other.id)
                | (MatchOffer.mentee_id == other.id) & (MatchOffer.mentor_id == blocker.id)
            ),
            MatchOffer.status.in_((OfferStatus.SUGGESTED, OfferStatus.OFFERED, OfferStatus.ASKED)),
        )
        .order_by(MatchOffer.id)
    )
    withdrawn = 0
    for offer in rows.unique():
        was_asked = offer.status == OfferStatus.ASKED
        offer.status = OfferStatus.WITHDRAWN
        offer.decided_at = now
        withdrawn += 1
        programme = await session.get(Programme, offer.programme_id)
        if was_asked and programme is not None and programme.status != ProgrammeStatus.CLOSED:
            why = (
                f"{offer.mentor.label} can't take on a mentee right now"
                if offer.mentor_id == blocker.id
                else f"As you asked, you won't be paired with {offer.mentor.label}"
            )
            await _move_on(session, offer, programme, now, why=why)
    return withdrawn


async def expire_due(session: AsyncSession, *, now: datetime) -> int:
    """Requests nobody answered in time count as declines."""
    rows = await session.scalars(
        select(MatchOffer)
        .where(MatchOffer.status == OfferStatus.ASKED, MatchOffer.expires_at <= now)
        .order_by(MatchOffer.id)
    )
    expired = 0
    for offer in rows.unique():
        programme = await session.get(Programme, offer.programme_id)
        if programme is None or programme.status == ProgrammeStatus.CLOSED:
            continue
        offer.status = OfferStatus.EXPIRED
        offer.decided_at = now
        await _move_on(
            session, offer, programme, now, why=f"{offer.mentor.label} didn't answer in time"
        )
        expired += 1
    return expired
