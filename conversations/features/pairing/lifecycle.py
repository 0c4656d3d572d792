"""The one place a pair changes status, and the one place its due times are armed.

A pair is ``proposed`` (a draft nobody was told about), ``active``, ``paused`` (with a
:class:`PauseReason`) or ``ended`` (with an :class:`EndReason`). Every change of status,
pause reason and end reason goes through a function here, so the due times the planner
looks for (``DUE_TIMES``) are armed and disarmed with the status and cannot drift from it:
an ended or paused pair has nothing due; an active one has its clocks running.

A session falls due one cadence after it began (``session_due_at``: the pair is asked
whether they met) and passes unheard a grace period later (``next_agenda_at``). With both
empty an active pair is *waiting*: it missed two sessions running and stays where it is
until someone logs something. A pair completes only through :func:`complete` or
:func:`complete_where`, once every session is met, skipped or passed unheard: never
because the clock ran.

Two shapes of each transition: one for a pair loaded in the session, one set-based
(``*_where``) for the planner, which moves many pairs in one ``UPDATE … RETURNING``.
``tests/features/pairing/test_lifecycle.py`` scans the code and fails if any other module
assigns a pair's status, pause reason or end reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.curriculum import Curriculum
from conversations.features.pairing import schedule, tally
from storage.models import EndReason, Pair, PairStatus, PauseReason, Programme

__all__ = [
    "DUE_TIMES",
    "EndReason",
    "IllegalTransition",
    "PauseReason",
    "activate",
    "activity",
    "complete",
    "complete_where",
    "earliest_due",
    "end",
    "end_where",
    "fell_due_values",
    "meeting_logged",
    "pause",
    "pause_where",
    "postponed",
    "proposed",
    "restart",
    "resume",
    "session_began",
    "session_values",
    "waiting",
]

DUE_TIMES = tuple(column.key for column in Pair.__table__.columns if column.info.get("due"))
"""Every column of a pair's durable schedule: the columns the model marks ``info=DUE``."""
_DISARMED: dict[str, None] = dict.fromkeys(DUE_TIMES)

_LIVE = (PairStatus.ACTIVE, PairStatus.PAUSED)


class IllegalTransition(RuntimeError):
    """A transition the lifecycle does not allow: a bug in the caller, never user input."""


def _require(pair: Pair, allowed: tuple[PairStatus, ...], to: str) -> None:
    if pair.status not in allowed:
        raise IllegalTransition(f"pair {pair.id} is {pair.status}; it cannot be {to}")


def proposed(
    *,
    programme_id: int,
    mentor_id: int,
    mentee_id: int,
    reason: str,
    now: datetime,
    created_by_id: int | None = None,
    score: float | None = None,
    pinned: bool = False,
) -> Pair:
    """A new draft pair (add it to the session); nobody hears of it until it is activated."""
    return Pair(
        programme_id=programme_id,
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        status=PairStatus.PROPOSED,
        reason=reason,
        created_by_id=created_by_id,
        created_at=now,
        score=score,
        pinned=pinned,
    )


def activate(
    pair: Pair, *, programme: Programme, curriculum: Curriculum | None, now: datetime
) -> None:
    """proposed → active: the first session begins and every clock starts."""
    _require(pair, (PairStatus.PROPOSED,), "activated")
    pair.status = PairStatus.ACTIVE
    pair.paused_by = None
    pair.pinned = False
    pair.session_index = 0
    pair.started_at = now
    session_began(pair, programme, now)
    _activity(pair, programme, now)
    pair.pulses_sent = 0
    pair.next_pulse_at = now + timedelta(days=schedule.pulse_day(curriculum, 0))


def pause(pair: Pair, reason: PauseReason) -> bool:
    """active → paused, or a paused pair taken over by a stronger reason (the programme
    team holding a pair its people had paused). Nothing time-based fires while paused.
    Returns False when the pair was already paused for this reason."""
    _require(pair, _LIVE, "paused")
    if pair.status == PairStatus.PAUSED and pair.paused_by == reason:
        return False
    pair.status = PairStatus.PAUSED
    pair.paused_by = reason
    _disarm(pair)
    return True


def resume(pair: Pair, *, programme: Programme, now: datetime) -> None:
    """paused → active: the current session starts afresh and the clocks restart."""
    _require(pair, (PairStatus.PAUSED,), "resumed")
    pair.status = PairStatus.ACTIVE
    pair.paused_by = None
    _restart(pair, programme, now)


def restart(pair: Pair, *, programme: Programme, now: datetime) -> None:
    """An active pair's programme was paused and resumed: the pause should not count
    against the pair, so its current session starts afresh and the clocks restart."""
    _require(pair, (PairStatus.ACTIVE,), "restarted")
    _restart(pair, programme, now)


def _restart(pair: Pair, programme: Programme, now: datetime) -> None:
    session_began(pair, programme, now)
    _activity(pair, programme, now)
    pair.next_pulse_at = now + timedelta(days=schedule.PULSE_EVERY_DAYS)


def _not_completion(reason: EndReason) -> None:
    if reason is EndReason.COMPLETED:
        raise IllegalTransition("a pair completes through complete(), never end()")


def end(pair: Pair, *, reason: EndReason, now: datetime) -> None:
    """active or paused → ended, for good: nothing is due for it any more. Completing is
    :func:`complete`: it checks every session first."""
    _require(pair, _LIVE, "ended")
    _not_completion(reason)
    _ended(pair, reason=reason, now=now)


async def complete(session: AsyncSession, pair: Pair, *, total: int, now: datetime) -> None:
    """active → ended as completed, after its last session. Raises unless each of its
    ``total`` sessions was met, skipped or passed unheard."""
    _require(pair, (PairStatus.ACTIVE,), "completed")
    await session.flush()
    closed = await session.scalar(select(tally.passed(pair.id, total)))
    if pair.session_index < total or (closed or 0) < total:
        raise IllegalTransition(
            f"pair {pair.id} has {closed} of {total} sessions behind it; it cannot complete"
        )
    _ended(pair, reason=EndReason.COMPLETED, now=now)


def _ended(pair: Pair, *, reason: EndReason, now: datetime) -> None:
    pair.status = PairStatus.ENDED
    pair.paused_by = None
    pair.ended_at = now
    pair.end_reason = reason
    _disarm(pair)


def session_began(pair: Pair, programme: Programme, now: datetime) -> None:
    """A session begins: its agenda is due after one cadence, a nudge half-way."""
    for column, value in session_values(programme, now).items():
        setattr(pair, column, value)


def session_values(programme: Programme, now: datetime) -> dict[str, datetime | None]:
    """The columns a beginning session sets, for a set-based UPDATE of many pairs: it falls
    due after one cadence, with a nudge half-way; it cannot pass before it falls due."""
    cadence = timedelta(days=programme.cadence_days)
    return {
        "session_started_at": now,
        "session_due_at": now + cadence,
        "next_agenda_at": None,
        "nudge_at": now + cadence / 2,
    }


def fell_due_values(programme: Programme, now: datetime) -> dict[str, datetime | None]:
    """The columns a session that falls due unlogged sets (set-based): the pair has been
    asked whether they met, and the session passes unheard after the grace period."""
    return {"session_due_at": None, "next_agenda_at": now + schedule.grace(programme)}


def postponed(pair: Pair, programme: Programme, now: datetime) -> None:
    """The pair said "not yet" or "rescheduled" for a session that already fell due: it
    stays open for another grace period from now."""
    _require(pair, (PairStatus.ACTIVE,), "given more time")
    if pair.session_due_at is None and pair.next_agenda_at is not None:
        pair.next_agenda_at = max(pair.next_agenda_at, now + schedule.grace(programme))


def waiting(pair: Pair) -> bool:
    """An active pair that missed two sessions running waits where it is: nothing moves it
    on until someone logs a meeting or a skip, or its clocks restart."""
    return (
        pair.status == PairStatus.ACTIVE
        and pair.session_due_at is None
        and pair.next_agenda_at is None
    )


def meeting_logged(pair: Pair, programme: Programme, now: datetime) -> None:
    """The pair met: the stall and silence clocks restart."""
    _require(pair, (PairStatus.ACTIVE,), "credited with a meeting")
    pair.last_met_at = now
    _activity(pair, programme, now)


def activity(pair: Pair, programme: Programme, now: datetime) -> None:
    """Someone in an active pair said they are still going: the silence clocks restart."""
    _require(pair, (PairStatus.ACTIVE,), "kept going")
    _activity(pair, programme, now)


def _activity(pair: Pair, programme: Programme, now: datetime) -> None:
    pair.stall_at = now + timedelta(
        days=schedule.setting(programme, "stall_days", schedule.STALL_DAYS)
    )
    silence = schedule.setting(programme, "inactive_days", schedule.INACTIVE_DAYS)
    notice = schedule.setting(programme, "notice_days", schedule.NOTICE_DAYS)
    pair.inactive_at = now + timedelta(days=max(silence - notice, 1))
    pair.auto_pause_at = None


def _disarm(pair: Pair) -> None:
    for column in DUE_TIMES:
        setattr(pair, column, None)


async def earliest_due(session: AsyncSession) -> dict[str, datetime | None]:
    """The earliest time each kind of prompt falls due among active pairs (None: none)."""
    earliest = select(*(func.min(getattr(Pair, c)) for c in DUE_TIMES)).where(
        Pair.status == PairStatus.ACTIVE
    )
    row = (await session.execute(earliest)).one()
    return dict(zip(DUE_TIMES, row, strict=True))


async def end_where(
    session: AsyncSession,
    *where: ColumnElement[bool],
    reason: EndReason,
    now: datetime,
    also: Mapping[str, Any] | None = None,
) -> list[int]:
    """End every live pair matching ``where`` in one statement; the ids it ended.

    Safe from several processes at once: a pair is claimed, and so ended, by one run."""
    _not_completion(reason)
    return await _ended_where(session, where, reason=reason, now=now, also=also)


async def complete_where(
    session: AsyncSession,
    *where: ColumnElement[bool],
    total: int,
    now: datetime,
    also: Mapping[str, Any] | None = None,
) -> list[int]:
    """Complete every active pair matching ``where`` whose ``total`` sessions are each
    met, skipped or passed unheard, in one statement; the ids it completed."""
    return await _ended_where(
        session,
        (Pair.status == PairStatus.ACTIVE, tally.passed(Pair.id, total) >= total, *where),
        reason=EndReason.COMPLETED,
        now=now,
        also=also,
    )


async def _ended_where(
    session: AsyncSession,
    where: tuple[ColumnElement[bool], ...],
    *,
    reason: EndReason,
    now: datetime,
    also: Mapping[str, Any] | None,
) -> list[int]:
    return await _claim(
        session,
        (Pair.status.in_(_LIVE), *where),
        {
            "status": PairStatus.ENDED,
            "paused_by": None,
            "end_reason": reason,
            "ended_at": now,
            **_DISARMED,
            **(also or {}),
        },
    )


async def pause_where(
    session: AsyncSession, *where: ColumnElement[bool], reason: PauseReason
) -> list[int]:
    """Pause every active pair matching ``where`` in one statement; the ids it paused."""
    return await _claim(
        session,
        (Pair.status == PairStatus.ACTIVE, *where),
        {"status": PairStatus.PAUSED, "paused_by": reason, **_DISARMED},
    )


async def _claim(
    session: AsyncSession, where: tuple[ColumnElement[bool], ...], values: dict[str, Any]
) -> list[int]:
    result = await session.execute(
        update(Pair)
        .where(*where)
        .values(**values)
        .returning(Pair.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars().all())
