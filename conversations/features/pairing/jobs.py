"""A pair's timed prompts: sessions due and passing, pulses, nudges, reminders, stalls
and silence.

Each is one ``UPDATE … WHERE <due> RETURNING`` over the pairs' schedule columns (the
claim: with several instances ticking, each due row moves on in exactly one of them),
then one bulk insert of planned outbox rows, rendered when sent
(``conversations.features.pairing.renderers``). After downtime nothing bursts: each due
time moves on from *now*, so a pair that missed three cadences gets one agenda.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, insert, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.curriculum import Library
from conversations.features.pairing import lifecycle, schedule, tally
from conversations.features.pairing.holds import pair_in
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.planner import insert_ignoring, insert_planned, planned_row, running_in
from conversations.registry import Tick, timed
from storage.models import (
    Meeting,
    MeetingOutcome,
    Pair,
    PairStatus,
    PauseReason,
    Programme,
    Prompt,
    Role,
    RoleGrant,
)

CHUNK = 1000
"""Pair ids per statement when acting on pairs a claim returned (a bound IN list)."""


def _closed(index: Any, *outcomes: MeetingOutcome) -> Any:
    """SQL: the pair's session ``index`` has a row with one of these outcomes."""
    return exists().where(
        Meeting.pair_id == Pair.id,
        Meeting.session_index == index,
        Meeting.outcome.in_(outcomes or tally.CLOSING),
    )


def _met(index: Any) -> Any:
    return _closed(index, MeetingOutcome.MET)


async def _fell_due(session: AsyncSession, programme: Programme, now: datetime) -> int:
    """Sessions that fell due with nothing logged: ask whether the pair met, and give them
    the grace period to answer. The pair stays on the session."""
    asked = (
        await session.execute(
            update(Pair)
            .where(
                Pair.programme_id == programme.id,
                Pair.status == PairStatus.ACTIVE,
                Pair.session_due_at <= now,
            )
            .values(**lifecycle.fell_due_values(programme, now))
            .returning(Pair.id, Pair.session_index, Pair.next_agenda_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    rows = [
        planned_row(
            workspace_id=programme.workspace_id,
            key=f"pair:{pid}:session:{index}:due",
            kind=Kind.MEET_DUE,
            now=now,
            ref_index=index,
            pair_id=pid,
            expires_at=passes,
            holds=(pair_in(pid, PairStatus.ACTIVE, session=index),),
        )
        for pid, index, passes in asked
    ]
    return await insert_planned(session, rows)


async def _agendas(session: AsyncSession, programme: Programme, total: int, now: datetime) -> int:
    """Sessions whose grace period ran out with nothing logged pass unheard (a ``not_heard``
    row), and the pair moves on to the next session, or completes after the last one."""
    due = and_(
        Pair.programme_id == programme.id,
        Pair.status == PairStatus.ACTIVE,
        Pair.next_agenda_at <= now,
    )
    # The session before passed unheard too: wait (stalled) instead of marching on.
    await session.execute(
        update(Pair)
        .where(
            due,
            Pair.session_index > 0,
            not_(_closed(Pair.session_index)),
            not_(_closed(Pair.session_index - 1, MeetingOutcome.MET, MeetingOutcome.SKIPPED)),
        )
        .values(next_agenda_at=None)
        .execution_options(synchronize_session=False)
    )
    # The claim: each due pair passes in exactly one planner, however many tick at once.
    claimed = (
        await session.execute(
            update(Pair)
            .where(due)
            .values(next_agenda_at=None)
            .returning(Pair.id)
            .execution_options(synchronize_session=False)
        )
    ).scalars()
    ids = list(claimed)
    finished: list[int] = []
    moved: list[tuple[int, int]] = []
    for start in range(0, len(ids), CHUNK):
        mine = Pair.id.in_(ids[start : start + CHUNK])
        unheard = select(Pair.id, Pair.session_index).where(mine, not_(_closed(Pair.session_index)))
        records = [
            {
                "pair_id": pid,
                "session_index": index,
                "outcome": MeetingOutcome.NOT_HEARD,
                "logged_by_id": None,
                "logged_at": now,
            }
            for pid, index in await session.execute(unheard)
        ]
        if records:
            await session.execute(insert(Meeting), records)
        finished += await lifecycle.complete_where(
            session,
            mine,
            Pair.session_index + 1 >= total,
            total=total,
            now=now,
            also={"session_index": Pair.session_index + 1},
        )
        # A pair whose last session is behind it but an earlier one is unaccounted for
        # (data from before the record was kept) cannot complete: it is left waiting.
        moved += [
            (pid, index)
            for pid, index in await session.execute(
                update(Pair)
                .where(mine, Pair.status == PairStatus.ACTIVE, Pair.session_index + 1 < total)
                .values(
                    session_index=Pair.session_index + 1,
                    **lifecycle.session_values(programme, now),
                )
                .returning(Pair.id, Pair.session_index)
                .execution_options(synchronize_session=False)
            )
        ]
    ws = programme.workspace_id
    rows = [
        planned_row(
            workspace_id=ws,
            key=f"pair:{pid}:closing",
            kind=Kind.CLOSING,
            now=now,
            ref_index=total,
            pair_id=pid,
            holds=ALWAYS,  # it says the pairing completed, which stays true
        )
        for pid in finished
    ]
    rows += [
        planned_row(
            workspace_id=ws,
            key=f"pair:{pid}:session:{index}:agenda",
            kind=Kind.AGENDA,
            now=now,
            ref_index=index,
            pair_id=pid,
            holds=(pair_in(pid, PairStatus.ACTIVE, session=index),),
        )
        for pid, index in moved
    ]
    return await insert_planned(session, rows)


async def _nudges(session: AsyncSession, workspaces: dict[int, int], now: datetime) -> int:
    due = and_(Pair.status == PairStatus.ACTIVE, Pair.nudge_at <= now)
    wanted = (
        await session.execute(
            update(Pair)
            .where(due, not_(_met(Pair.session_index)))
            .values(nudge_at=None)
            .returning(Pair.id, Pair.programme_id, Pair.session_index, Pair.session_due_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    await session.execute(
        update(Pair).where(due).values(nudge_at=None).execution_options(synchronize_session=False)
    )
    rows = [
        planned_row(
            workspace_id=workspaces[prog],
            key=f"pair:{pid}:session:{index}:nudge",
            kind=Kind.MEET_NUDGE,
            now=now,
            ref_index=index,
            pair_id=pid,
            expires_at=until,
            holds=(pair_in(pid, PairStatus.ACTIVE, session=index),),
        )
        for pid, prog, index, until in wanted
        if prog in workspaces
    ]
    return await insert_planned(session, rows)


async def _pulses(
    session: AsyncSession, programme: Programme, library: Library, now: datetime
) -> int:
    curriculum = library.get(programme.curriculum_key)
    due = and_(
        Pair.programme_id == programme.id,
        Pair.status == PairStatus.ACTIVE,
        Pair.next_pulse_at <= now,
    )
    numbers = sorted(set((await session.scalars(select(Pair.pulses_sent).where(due))).all()))
    rows: list[dict[str, Any]] = []
    prompts: list[dict[str, Any]] = []
    for number in numbers:
        day = schedule.pulse_day(curriculum, number)
        gap = schedule.pulse_day(curriculum, number + 1) - day
        sent = (
            await session.execute(
                update(Pair)
                .where(due, Pair.pulses_sent == number)
                .values(pulses_sent=number + 1, next_pulse_at=now + timedelta(days=gap))
                .returning(Pair.id, Pair.mentor_id, Pair.mentee_id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        for pid, mentor_id, mentee_id in sent:
            for person_id in (mentee_id, mentor_id):
                rows.append(
                    planned_row(
                        workspace_id=programme.workspace_id,
                        key=f"pair:{pid}:pulse:{day}:{person_id}",
                        kind=Kind.PULSE,
                        now=now,
                        ref_index=day,
                        pair_id=pid,
                        person_id=person_id,
                        expires_at=now + timedelta(days=7),
                        holds=(pair_in(pid, PairStatus.ACTIVE),),
                    )
                )
                prompts.append(
                    {
                        "pair_id": pid,
                        "person_id": person_id,
                        "kind": "pulse",
                        "ref_index": day,
                        "asked_at": now,
                        "answered_at": None,
                        "reminders_sent": 0,
                        "next_reminder_at": now + schedule.REMINDER_AFTER,
                    }
                )
    if prompts:
        await session.execute(
            insert_ignoring(session, Prompt, ["pair_id", "person_id", "kind", "ref_index"]),
            prompts,
        )
    return await insert_planned(session, rows)


async def _reminders(session: AsyncSession, workspaces: dict[int, int], now: datetime) -> int:
    last = schedule.MAX_REMINDERS
    reminded = (
        await session.execute(
            update(Prompt)
            .where(
                Prompt.answered_at.is_(None),
                Prompt.next_reminder_at <= now,
                Prompt.reminders_sent < last,
            )
            .values(
                reminders_sent=Prompt.reminders_sent + 1,
                next_reminder_at=case(
                    (Prompt.reminders_sent + 1 >= last, None), else_=now + schedule.REMINDER_AFTER
                ),
            )
            .returning(Prompt.id, Prompt.pair_id, Prompt.person_id, Prompt.reminders_sent)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not reminded:
        return 0
    programme_of = dict(
        (
            await session.execute(
                select(Pair.id, Pair.programme_id).where(Pair.id.in_({r[1] for r in reminded}))
            )
        ).all()
    )
    rows = [
        planned_row(
            workspace_id=workspaces[programme_of[pair_id]],
            key=f"prompt:{prompt_id}:reminder:{n}",
            kind=Kind.REMINDER,
            now=now,
            ref_index=prompt_id,
            pair_id=pair_id,
            person_id=person_id,
            expires_at=now + schedule.REMINDER_AFTER,
            holds=(pair_in(pair_id, PairStatus.ACTIVE),),
        )
        for prompt_id, pair_id, person_id, n in reminded
        if programme_of.get(pair_id) in workspaces
    ]
    return await insert_planned(session, rows)


async def _stalls(session: AsyncSession, workspaces: dict[int, int], now: datetime) -> int:
    stalled = (
        await session.execute(
            update(Pair)
            .where(Pair.status == PairStatus.ACTIVE, Pair.stall_at <= now)
            .values(stall_at=None)
            .returning(Pair.id, Pair.programme_id, Pair.last_met_at, Pair.mentor_id, Pair.mentee_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not stalled:
        return 0
    coordinators: dict[int, list[int]] = {}
    for workspace_id, person_id in (
        await session.execute(
            select(RoleGrant.workspace_id, RoleGrant.person_id).where(
                RoleGrant.role == Role.COORDINATOR,
                RoleGrant.workspace_id.in_(set(workspaces.values())),
            )
        )
    ).all():
        coordinators.setdefault(workspace_id, []).append(person_id)
    rows = []
    for pid, prog, last_met, mentor_id, mentee_id in stalled:
        ws = workspaces.get(prog)
        if ws is None:
            continue
        since = (last_met or now).strftime("%Y%m%d")
        rows += [
            planned_row(
                workspace_id=ws,
                key=f"pair:{pid}:stall:{since}:to:{coordinator}",
                kind=Kind.STALL,
                now=now,
                ref_index=pid,
                pair_id=pid,
                person_id=coordinator,
                holds=(pair_in(pid, PairStatus.ACTIVE),),
            )
            for coordinator in coordinators.get(ws, [])
            if coordinator not in (mentor_id, mentee_id)  # not about a pair they are in
        ]
    return await insert_planned(session, rows)


async def _silence(session: AsyncSession, programmes: dict[int, Programme], now: datetime) -> int:
    rows = []
    for programme in programmes.values():
        notice = timedelta(days=schedule.setting(programme, "notice_days", schedule.NOTICE_DAYS))
        warned = (
            (
                await session.execute(
                    update(Pair)
                    .where(
                        Pair.programme_id == programme.id,
                        Pair.status == PairStatus.ACTIVE,
                        Pair.inactive_at <= now,
                    )
                    .values(inactive_at=None, auto_pause_at=now + notice)
                    .returning(Pair.id)
                    .execution_options(synchronize_session=False)
                )
            )
            .scalars()
            .all()
        )
        stamp = now.strftime("%Y%m%d")
        rows += [
            planned_row(
                workspace_id=programme.workspace_id,
                key=f"pair:{pid}:silence:{stamp}",
                kind=Kind.INACTIVITY_NOTICE,
                now=now,
                ref_index=pid,
                pair_id=pid,
                holds=(pair_in(pid, PairStatus.ACTIVE),),
            )
            for pid in warned
        ]
        paused = await lifecycle.pause_where(
            session,
            Pair.programme_id == programme.id,
            Pair.auto_pause_at <= now,
            reason=PauseReason.INACTIVITY,
        )
        rows += [
            planned_row(
                workspace_id=programme.workspace_id,
                key=f"pair:{pid}:autopause:{stamp}",
                kind=Kind.AUTO_PAUSED,
                now=now,
                ref_index=pid,
                pair_id=pid,
                holds=(pair_in(pid, PairStatus.PAUSED),),
            )
            for pid in paused
        ]
    return await insert_planned(session, rows)


async def _due(tick: Tick, *columns: str) -> bool:
    """Whether any active pair has one of these due times at or before now.

    One read of the earliest due time of each kind per tick, so a tick with nothing due
    (most of them) skips the claiming UPDATEs. Safe to read once: no job makes another's
    due time fall due within the same tick (each re-arms in the future or disarms)."""
    if "pair_due" not in tick.shared:
        tick.shared["pair_due"] = await lifecycle.earliest_due(tick.session)
    due: dict[str, datetime | None] = tick.shared["pair_due"]
    return any(due[c] is not None and due[c] <= tick.now for c in columns)  # type: ignore[operator]


@timed("agenda", order=10)
async def agendas(tick: Tick) -> int:
    """Each active pair whose session passed unheard moves to its next session (or
    completes, once every session is behind it)."""
    if not await _due(tick, "next_agenda_at"):
        return 0
    done = 0
    for programme in await running_in(tick):
        curriculum = tick.library.get(programme.curriculum_key)
        if curriculum is not None:
            done += await _agendas(tick.session, programme, len(curriculum.sessions), tick.now)
    return done


@timed("session_due", order=12)
async def sessions_due(tick: Tick) -> int:
    """Each active pair whose session fell due with nothing logged is asked whether they
    met; the session stays open for the grace period."""
    if not await _due(tick, "session_due_at"):
        return 0
    done = 0
    for programme in await running_in(tick):
        if tick.library.get(programme.curriculum_key) is not None:
            done += await _fell_due(tick.session, programme, tick.now)
    return done


@timed("pulse", order=20)
async def pulses(tick: Tick) -> int:
    """Milestone pulses (short private questions) that have come due."""
    if not await _due(tick, "next_pulse_at"):
        return 0
    done = 0
    for programme in await running_in(tick):
        if tick.library.get(programme.curriculum_key) is not None:
            done += await _pulses(tick.session, programme, tick.library, tick.now)
    return done


async def _workspaces(tick: Tick) -> dict[int, int]:
    return {p.id: p.workspace_id for p in await running_in(tick)}


@timed("meet_nudge", order=30)
async def nudges(tick: Tick) -> int:
    """Half-way through a session with no meeting logged: a gentle nudge."""
    if not await _due(tick, "nudge_at"):
        return 0
    return await _nudges(tick.session, await _workspaces(tick), tick.now)


@timed("reminder", order=40)
async def reminders(tick: Tick) -> int:
    """Unanswered check-ins and pulses get a reminder, at most MAX_REMINDERS times."""
    return await _reminders(tick.session, await _workspaces(tick), tick.now)


@timed("stall", order=50)
async def stalls(tick: Tick) -> int:
    """Pairs with no meeting for the stall period: their coordinators hear of it."""
    if not await _due(tick, "stall_at"):
        return 0
    return await _stalls(tick.session, await _workspaces(tick), tick.now)


@timed("inactivity", order=60)
async def silence(tick: Tick) -> int:
    """Long silence: a notice first, then the pair pauses itself."""
    if not await _due(tick, "inactive_at", "auto_pause_at"):
        return 0
    programmes = {p.id: p for p in await running_in(tick)}
    return await _silence(tick.session, programmes, tick.now)
