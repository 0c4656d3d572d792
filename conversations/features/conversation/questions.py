"""The questions waiting for a person's answer, pair by pair, as the data records them.

- A coordinator's nudge ("Nudge both" on a stall card) is a ``Prompt`` of kind
  ``coordinator_nudge`` for each person of the pair, whose ``ref_index`` is the id of the
  coordinator who asked. It stays open to replies for :data:`REPLY_WINDOW` after it was
  asked, while the pair is live and has not logged a meeting since (follow-up messages
  reach the coordinator too; the first reply marks it answered).
- "Did you meet?" is the mid-session nudge (an outbox row of kind ``meet_nudge``, sent, for
  the session the active pair is on), open until that session is logged as met.
- A check-in is a ``Prompt`` of kind ``checkin`` not yet answered, asked within
  :data:`REPLY_WINDOW`, about a pair that is live or completed.

Everything is decided with ids: whose prompt it is, which pair, which coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.kinds import Kind
from storage.models import (
    EndReason,
    Meeting,
    MeetingOutcome,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    Person,
    Prompt,
)

REPLY_WINDOW = timedelta(days=14)
"""How long after a question was asked words are still read as an answer to it."""


@dataclass(slots=True)
class Waiting:
    """What one pair is waiting to hear from one person."""

    pair: Pair
    askers: list[int] = field(default_factory=list)
    """Coordinators (ids) whose nudge is open; see :attr:`nudged`."""
    nudged: bool = False
    meeting: int | None = None
    """The session whose "did you meet?" is open."""
    checkin: int | None = None
    """The session whose check-in is open."""


async def waiting(
    session: AsyncSession, *, person: Person, now: datetime, pair_id: int | None = None
) -> list[Waiting]:
    """Every pair of ``person`` with a question open to them (only ``pair_id``'s, if
    given), in the order the pairs were made."""
    since = now - REPLY_WINDOW
    found: dict[int, Waiting] = {}

    def of(pair: Pair) -> Waiting:
        return found.setdefault(pair.id, Waiting(pair=pair))

    mine = (Pair.mentor_id == person.id) | (Pair.mentee_id == person.id)
    if pair_id is not None:
        mine = mine & (Pair.id == pair_id)

    nudges = await session.execute(
        select(Prompt.ref_index, Prompt.asked_at, Pair)
        .join(Pair, Pair.id == Prompt.pair_id)
        .where(
            mine,
            Prompt.person_id == person.id,
            Prompt.kind == Kind.COORDINATOR_NUDGE,
            Prompt.asked_at >= since,
            Pair.status.in_((PairStatus.ACTIVE, PairStatus.PAUSED)),
        )
        .order_by(Prompt.asked_at)
    )
    for asker, asked_at, pair in nudges.unique().all():
        if pair.last_met_at is not None and pair.last_met_at >= asked_at:
            continue  # they have met since: the nudge is moot
        waits = of(pair)
        waits.nudged = True
        if asker not in waits.askers:
            waits.askers.append(asker)

    active = list(
        (await session.scalars(select(Pair).where(mine, Pair.status == PairStatus.ACTIVE))).unique()
    )
    if active:
        asked = await session.execute(
            select(OutboxMessage.pair_id, OutboxMessage.ref_index).where(
                OutboxMessage.kind == Kind.MEET_NUDGE,
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.pair_id.in_([p.id for p in active]),
            )
        )
        sessions = {(pair, index) for pair, index in asked.all()}
        for pair in active:
            if (pair.id, pair.session_index) in sessions and not await _met(session, pair):
                of(pair).meeting = pair.session_index

    checkins = await session.execute(
        select(Prompt.ref_index, Pair)
        .join(Pair, Pair.id == Prompt.pair_id)
        .where(
            mine,
            Prompt.person_id == person.id,
            Prompt.kind == Kind.CHECKIN,
            Prompt.answered_at.is_(None),
            Prompt.asked_at >= since,
            Pair.status.in_((PairStatus.ACTIVE, PairStatus.PAUSED))
            | (Pair.end_reason == EndReason.COMPLETED),
        )
        .order_by(Prompt.asked_at)
    )
    for index, pair in checkins.unique().all():
        of(pair).checkin = index  # the latest asked, when several are open

    return sorted(found.values(), key=lambda w: w.pair.id)


async def _met(session: AsyncSession, pair: Pair) -> bool:
    found = await session.scalar(
        select(Meeting.id).where(
            Meeting.pair_id == pair.id,
            Meeting.session_index == pair.session_index,
            Meeting.outcome == MeetingOutcome.MET,
        )
    )
    return found is not None
