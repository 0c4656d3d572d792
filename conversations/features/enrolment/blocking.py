"""Blocking: anyone can make sure they are never paired with someone again.

A block is a do-not-pair entry with ``source="blocked"``, so the matcher, offers
and ``pair`` honour it in every programme of the workspace, and a coordinator
cannot remove it. Any pairing between the two ends at once, kindly: the other
person is told only that their pairing has ended, never that they were blocked
or by whom it was ended; coordinators are told, so someone can look after both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import cards
from conversations.features.matching import offers
from conversations.features.pairing import lifecycle
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import DoNotPair, EndReason, Pair, PairStatus, Person, Programme

BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Blocked:
    ended: list[Pair]
    """Live pairings between the two that the block ended."""
    new: bool
    """False only when this person had already blocked the other themselves."""


async def _pairs_between(session: AsyncSession, a: Person, b: Person) -> list[Pair]:
    """Live and proposed pairs of these two, in any programme of their workspace."""
    rows = await session.scalars(
        select(Pair)
        .join(Programme, Programme.id == Pair.programme_id)
        .where(
            Programme.workspace_id == a.workspace_id,
            ((Pair.mentor_id == a.id) & (Pair.mentee_id == b.id))
            | ((Pair.mentor_id == b.id) & (Pair.mentee_id == a.id)),
            Pair.status.in_((*repo.LIVE_PAIR, PairStatus.PROPOSED)),
        )
        .order_by(Pair.id)
    )
    return list(rows.unique())


async def block(session: AsyncSession, *, blocker: Person, other: Person, now: datetime) -> Blocked:
    """Record the block, end any pairing between the two, and withdraw open offers."""
    first, second = sorted((blocker.id, other.id))
    row = await session.scalar(
        select(DoNotPair).where(
            DoNotPair.workspace_id == blocker.workspace_id,
            DoNotPair.first_id == first,
            DoNotPair.second_id == second,
        )
    )
    # Someone blocked by the other first hears exactly what a first block says: "already"
    # would tell them they had been blocked.
    new = row is None or row.source != BLOCKED or row.created_by_id != blocker.id
    if row is None:
        session.add(
            DoNotPair(
                workspace_id=blocker.workspace_id,
                first_id=first,
                second_id=second,
                source=BLOCKED,
                created_by_id=blocker.id,
                created_at=now,
            )
        )
    elif row.source != BLOCKED:
        # A coordinator's entry becomes a block, which no coordinator can lift.
        row.source = BLOCKED
        row.created_by_id = blocker.id
        row.created_at = now
    outbox = Outbox(session, now)
    ended: list[Pair] = []
    proposed: list[int] = []
    for pair in await _pairs_between(session, blocker, other):
        if pair.status == PairStatus.PROPOSED:
            proposed.append(pair.id)
            continue
        lifecycle.end(pair, reason=EndReason.BLOCKED, now=now)
        ended.append(pair)
        programme = pair.programme
        await outbox.to_person(
            other,
            cards.partner_notice(
                text=f"Your pairing in {programme.name} has ended. Pairings end for all sorts "
                "of reasons, and it says nothing about you. The programme team will be in "
                "touch about what comes next.",
                kind=Kind.PAIRING_ENDED,
            ),
            key=f"pair:{pair.id}:ended",
            holds=ALWAYS,  # it says the pairing ended, which stays true
            about=pair,
        )
        await outbox.to_coordinators(
            programme.workspace_id,
            cards.partner_notice(
                text=f"{blocker.label} has ended their pairing with {other.label} in "
                f"{programme.name} and asked never to be paired with them again. "
                f"{other.label} was told only that the pairing ended, and may need a new match.",
                kind=Kind.COORDINATOR_BLOCK_NOTICE,
            ),
            key=f"pair:{pair.id}:ended:coordinators",
            holds=ALWAYS,
            about=pair,  # a coordinator who was blocked is not told who blocked them
        )

    if proposed:
        await session.execute(delete(Pair).where(Pair.id.in_(proposed)))
    await offers.withdraw_between(session, blocker=blocker, other=other, now=now)
    return Blocked(ended=ended, new=new)
