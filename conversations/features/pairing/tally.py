"""How many sessions each pair met, skipped or passed unheard: the one count.

A session's outcome is the strongest of its meeting rows: met, then skipped, then not
heard. "Not yet" and "rescheduled" keep a session open and count for nothing. Counting
sessions, not rows, a late "we met" for a session that passed unheard counts once, as met.

``status``, ``export``, the executive digest and the lifecycle's check before a pair
completes all count through here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Meeting, MeetingOutcome, Pair

RANK = {MeetingOutcome.MET: 3, MeetingOutcome.SKIPPED: 2, MeetingOutcome.NOT_HEARD: 1}
"""The outcomes that close a session, strongest first."""
CLOSING = tuple(RANK)


def strongest(outcomes: Iterable[str]) -> MeetingOutcome | None:
    """The outcome of a session with these rows on record (None: it is still open)."""
    closing = [MeetingOutcome(o) for o in outcomes if o in RANK]
    return max(closing, key=RANK.__getitem__, default=None)


@dataclass(frozen=True, slots=True)
class Tally:
    """Sessions met, skipped and passed unheard."""

    met: int = 0
    skipped: int = 0
    not_heard: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.met + other.met, self.skipped + other.skipped, self.not_heard + other.not_heard
        )

    @property
    def passed(self) -> int:
        """Sessions behind the pair: met, skipped or not heard."""
        return self.met + self.skipped + self.not_heard

    def words(self) -> str:
        return f"{self.met} met, {self.skipped} skipped, {self.not_heard} not heard"


def _rank() -> Any:
    return case(*((Meeting.outcome == o.value, r) for o, r in RANK.items()), else_=0)


async def count(
    session: AsyncSession,
    *,
    per: Literal["pair", "programme"],
    ids: Collection[int],
    until: datetime | None = None,
) -> dict[int, Tally]:
    """Each pair's (or each programme's) sessions met, skipped and not heard, as logged up
    to ``until`` (None: everything); every id asked for has a tally, zero or not."""
    found = dict.fromkeys(ids, Tally())
    if not found:
        return found
    where: list[ColumnElement[bool]] = [Meeting.outcome.in_(CLOSING)]
    if until is not None:
        where.append(Meeting.logged_at <= until)
    sessions = (
        select(Meeting.pair_id, func.max(_rank()).label("rank"))
        .where(*where)
        .group_by(Meeting.pair_id, Meeting.session_index)
        .subquery()
    )
    key = sessions.c.pair_id if per == "pair" else Pair.programme_id
    query = select(
        key, *(func.sum(case((sessions.c.rank == r, 1), else_=0)) for r in RANK.values())
    )
    if per == "pair":
        query = query.where(sessions.c.pair_id.in_(found))
    else:
        query = (
            query.select_from(Pair)
            .join(sessions, sessions.c.pair_id == Pair.id)
            .where(Pair.programme_id.in_(found))
        )
    for row in await session.execute(query.group_by(key)):
        met, skipped, not_heard = (int(n or 0) for n in row[1:])
        found[int(row[0])] = Tally(met=met, skipped=skipped, not_heard=not_heard)
    return found


async def outcome(session: AsyncSession, *, pair_id: int, index: int) -> MeetingOutcome | None:
    """What one session of a pair came to (None: nothing closes it yet)."""
    rows = await session.scalars(
        select(Meeting.outcome).where(Meeting.pair_id == pair_id, Meeting.session_index == index)
    )
    return strongest(rows.all())


def passed(pair_id: Any, total: int) -> Any:
    """SQL: how many of a pair's first ``total`` sessions are closed, for a set-based check
    (``pair_id`` may be a column, for one pair per row)."""
    return (
        select(func.count(func.distinct(Meeting.session_index)))
        .where(
            Meeting.pair_id == pair_id,
            Meeting.outcome.in_(CLOSING),
            Meeting.session_index < total,
        )
        .scalar_subquery()
    )
