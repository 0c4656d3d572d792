"""The executive digest's figures, computed with SQL aggregates.

Every figure is a count or an average; nothing here reads a name, a reflection
or a concern's words. The last ``WEEKS`` weekly periods (week 0 ends at the
digest's moment, week 1 the week before, …) are computed at once: one scan of
each table's recent rows, each row given its week by one ``CASE`` and grouped by
programme and week, so the digest costs the same few queries however many
programmes and weeks it covers, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.features.enrolment import standing
from conversations.features.pairing import tally
from conversations.features.pairing.tally import Tally
from conversations.kinds import Kind
from storage.models import (
    CheckIn,
    Concern,
    Enrolment,
    EnrolmentStatus,
    Meeting,
    MeetingOutcome,
    Pair,
    PairStatus,
    Prompt,
    PulseResponse,
)

WEEKS = 8
PERIOD = timedelta(days=7)
STALL_DAYS = 21
LIVE = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.ENDED)
"""Statuses of pairs that really started (a proposal never did)."""

Weekly = tuple[int, ...]


def _zero() -> Weekly:
    return (0,) * WEEKS


@dataclass(frozen=True, slots=True)
class Figures:
    """One scope's figures. Tuples are per week, index 0 = the week just ended."""

    live: Weekly = field(default_factory=_zero)
    """Pairs under way at some point in the week."""
    met: Weekly = field(default_factory=_zero)
    """Pairs that logged a meeting as met in the week."""
    new: Weekly = field(default_factory=_zero)
    asked: Weekly = field(default_factory=_zero)
    """Check-ins asked for in the week…"""
    answered: Weekly = field(default_factory=_zero)
    """…and how many of those were answered (whenever)."""
    rating_sum: Weekly = field(default_factory=_zero)
    rating_count: Weekly = field(default_factory=_zero)
    milestones: Weekly = field(default_factory=_zero)
    """Milestone pulses answered in the week."""
    joined: Weekly = field(default_factory=_zero)
    left: Weekly = field(default_factory=_zero)
    active: int = 0
    """Pairs active at the digest's moment."""
    stalled: int = 0
    """Active pairs that have not met for ``STALL_DAYS``."""
    concerns: int = 0
    """Concerns not yet resolved (a count, never their content)."""
    participants: int = 0
    """People with a current enrolment."""
    sessions: Tally = field(default_factory=Tally)
    """Sessions met, skipped and passed unheard so far (the count ``status`` and ``export``
    give too)."""

    def __add__(self, other: Figures) -> Figures:
        values: dict[str, Any] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, tuple):
                values[item.name] = tuple(a + b for a, b in zip(mine, theirs, strict=True))
            else:
                values[item.name] = mine + theirs
        return Figures(**values)

    def met_share(self, week: int = 0) -> int | None:
        """Pairs that met, as a percentage of the pairs under way that week."""
        return _percent(self.met[week], self.live[week])

    def response_rate(self, week: int = 0) -> int | None:
        return _percent(self.answered[week], self.asked[week])

    def rating(self, week: int = 0) -> float | None:
        count = self.rating_count[week]
        return self.rating_sum[week] / count if count else None


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def total(figures: Iterable[Figures]) -> Figures:
    result = Figures()
    for item in figures:
        result = result + item
    return result


def _bounds(end: datetime) -> list[tuple[datetime, datetime]]:
    """(start, end] of each week, week 0 first."""
    return [(end - PERIOD * (w + 1), end - PERIOD * w) for w in range(WEEKS)]


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return and_(column > start, column <= end)


def _counts(column: Any, end: datetime) -> list[Any]:
    """One SUM per week over rows whose ``column`` falls in it (for the small pairs table)."""
    return [func.sum(case((_in(column, start, stop), 1), else_=0)) for start, stop in _bounds(end)]


def _week_of(column: Any, end: datetime) -> Any:
    """The week (0 = the latest) ``column`` falls in: one CASE per row, not one per week."""
    return case(*((column > start, week) for week, (start, _) in enumerate(_bounds(end))))


async def _by_week(
    session: AsyncSession,
    aggregates: list[Any],
    *,
    when: Any,
    programme: Any,
    programme_ids: list[int],
    end: datetime,
    join_pairs: Any = None,
    where: Any = None,
) -> dict[int, list[Weekly]]:
    """``aggregates`` of the rows whose ``when`` falls in the last ``WEEKS`` weeks, grouped by
    programme and week: programme id → one weekly tuple per aggregate."""
    week = _week_of(when, end).label("week")
    query = select(programme, week, *aggregates)
    if join_pairs is not None:
        query = query.select_from(join_pairs).join(Pair, Pair.id == join_pairs.pair_id)
    conditions = [programme.in_(programme_ids), when > end - PERIOD * WEEKS, when <= end]
    if where is not None:
        conditions.append(where)
    query = query.where(*conditions).group_by(programme, week)
    found: dict[int, list[list[int]]] = {}
    for row in await session.execute(query):
        series = found.setdefault(int(row[0]), [[0] * WEEKS for _ in aggregates])
        for index, value in enumerate(row[2:]):
            series[index][int(row[1])] = int(value or 0)
    return {pid: [tuple(s) for s in series] for pid, series in found.items()}


async def figures(
    session: AsyncSession, *, programme_ids: list[int], end: datetime
) -> dict[int, Figures]:
    """Each programme's figures for the ``WEEKS`` weeks ending at ``end``."""
    if not programme_ids:
        return {}
    values: dict[int, dict[str, Any]] = {pid: {} for pid in programme_ids}

    def put(found: dict[int, list[Weekly]], *names: str) -> None:
        for pid, groups in found.items():
            for name, weekly in zip(names, groups, strict=True):
                values[pid][name] = weekly

    async def of_pairs(
        aggregates: list[Any], *, when: Any, rows: Any, where: Any = None
    ) -> dict[int, list[Weekly]]:
        return await _by_week(
            session,
            aggregates,
            when=when,
            programme=Pair.programme_id,
            programme_ids=programme_ids,
            end=end,
            join_pairs=rows,
            where=where,
        )

    async def of_enrolments(when: Any) -> dict[int, list[Weekly]]:
        return await _by_week(
            session,
            [func.count()],
            when=when,
            programme=Enrolment.programme_id,
            programme_ids=programme_ids,
            end=end,
        )

    met = Meeting.outcome == MeetingOutcome.MET
    put(
        await of_pairs(
            [func.count(func.distinct(Meeting.pair_id))],
            when=Meeting.logged_at,
            rows=Meeting,
            where=met,
        ),
        "met",
    )
    put(
        await of_pairs(
            [func.count(), func.count(Prompt.answered_at)],
            when=Prompt.asked_at,
            rows=Prompt,
            where=Prompt.kind == Kind.CHECKIN,
        ),
        "asked",
        "answered",
    )
    put(
        await of_pairs(
            [func.sum(CheckIn.rating), func.count()], when=CheckIn.created_at, rows=CheckIn
        ),
        "rating_sum",
        "rating_count",
    )
    put(
        await of_pairs([func.count()], when=PulseResponse.created_at, rows=PulseResponse),
        "milestones",
    )
    put(await of_enrolments(Enrolment.created_at), "joined")
    put(await of_enrolments(Enrolment.left_at), "left")
    # Pairs: under way in each week, new in each week, and the current state.
    under_way = [
        func.sum(
            case(
                (
                    and_(
                        Pair.started_at <= stop, or_(Pair.ended_at.is_(None), Pair.ended_at > start)
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for start, stop in _bounds(end)
    ]
    stalled_since = end - timedelta(days=STALL_DAYS)
    pair_rows = await session.execute(
        select(
            Pair.programme_id,
            *under_way,
            *_counts(Pair.started_at, end),
            func.sum(case((Pair.status == PairStatus.ACTIVE, 1), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            Pair.status == PairStatus.ACTIVE,
                            func.coalesce(Pair.last_met_at, Pair.started_at) <= stalled_since,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(
            Pair.programme_id.in_(programme_ids),
            Pair.status.in_(LIVE),
            Pair.started_at <= end,
            or_(Pair.ended_at.is_(None), Pair.ended_at > end - PERIOD * WEEKS),
        )
        .group_by(Pair.programme_id)
    )
    for row in pair_rows:
        numbers = [int(v or 0) for v in row[1:]]
        pid = int(row[0])
        values[pid]["live"] = tuple(numbers[:WEEKS])
        values[pid]["new"] = tuple(numbers[WEEKS : 2 * WEEKS])
        values[pid]["active"] = numbers[2 * WEEKS]
        values[pid]["stalled"] = numbers[2 * WEEKS + 1]
    concern_rows = await session.execute(
        select(Concern.programme_id, func.count(Concern.id))
        .where(Concern.programme_id.in_(programme_ids), Concern.status != "resolved")
        .group_by(Concern.programme_id)
    )
    for concern_programme, count in concern_rows:
        if concern_programme is not None:
            values[concern_programme]["concerns"] = int(count)
    people_rows = await session.execute(
        select(Enrolment.programme_id, func.count(func.distinct(Enrolment.person_id)))
        .where(Enrolment.programme_id.in_(programme_ids), Enrolment.status != EnrolmentStatus.LEFT)
        .group_by(Enrolment.programme_id)
    )
    for people_programme, people in people_rows:
        values[int(people_programme)]["participants"] = int(people)
    sessions = await tally.count(session, per="programme", ids=programme_ids, until=end)
    for pid, counted in sessions.items():
        values[pid]["sessions"] = counted
    return {pid: Figures(**found) for pid, found in values.items()}


@dataclass(frozen=True, slots=True)
class Group:
    """One department's figures (departments as mentees and mentors gave them)."""

    name: str
    people: int
    live: int
    met: int
    waiting: int
    """Mentees waiting for a mentor (``standing.waiting``)."""


async def departments(
    session: AsyncSession, *, programme_ids: list[int], end: datetime
) -> list[Group]:
    """Each department's people, and its mentees' pairs this week; mentees waiting for a
    mentor as ``standing.waiting`` says (never after a completed pairing or a closed
    programme)."""
    if not programme_ids:
        return []
    start = end - PERIOD
    current = and_(
        Enrolment.programme_id.in_(programme_ids), Enrolment.status != EnrolmentStatus.LEFT
    )
    department = func.coalesce(func.nullif(func.trim(Enrolment.department), ""), "Not given")
    people = {
        str(name): int(count)
        for name, count in await session.execute(
            select(department, func.count(func.distinct(Enrolment.person_id)))
            .where(current)
            .group_by(department)
        )
    }
    live_pair = and_(
        Pair.mentee_id == Enrolment.person_id,
        Pair.programme_id == Enrolment.programme_id,
        Pair.status.in_((PairStatus.ACTIVE, PairStatus.PAUSED)),
    )
    met_this_week = (
        select(Meeting.id)
        .where(
            Meeting.pair_id == Pair.id,
            Meeting.outcome == MeetingOutcome.MET,
            _in(Meeting.logged_at, start, end),
        )
        .exists()
    )
    rows = await session.execute(
        select(
            department,
            func.count(func.distinct(Pair.id)),
            func.count(func.distinct(case((met_this_week, Pair.id), else_=None))),
        )
        .select_from(Enrolment)
        .join(Pair, live_pair)
        .where(current, Enrolment.side == "mentee")
        .group_by(department)
    )
    paired = {str(name): (int(live), int(met)) for name, live, met in rows}
    waiting = {
        str(name): int(count)
        for name, count in await session.execute(
            select(department, func.count(Enrolment.id))
            .where(
                current,
                Enrolment.side == "mentee",
                standing.waiting(),
            )
            .group_by(department)
        )
    }
    return [
        Group(
            name=name,
            people=count,
            live=paired.get(name, (0, 0))[0],
            met=paired.get(name, (0, 0))[1],
            waiting=waiting.get(name, 0),
        )
        for name, count in sorted(people.items(), key=lambda item: (-item[1], item[0]))
    ]
