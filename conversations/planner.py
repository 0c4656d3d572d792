"""The tick: find what has fallen due, set-based, and queue it in the outbox.

Each kind of prompt is one ``UPDATE … WHERE <due> RETURNING`` over the pairs'
schedule columns followed by one bulk insert into the outbox. The UPDATE is
the claim: when several instances tick at once, each due row is moved on by
exactly one of them, and the outbox's idempotency keys make a repeated insert
a no-op. Messages are rendered when sent (``conversations.rendering``), so a
tick touches only rows that are due, however many pairs exist.

After downtime nothing bursts: each due time moves on from *now*, so a pair
that missed three cadences gets one agenda, not three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, not_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import digest, safeguarding, schedule
from conversations.curriculum import Library
from conversations.features.pairing import lifecycle
from conversations.kinds import Kind
from storage.models import (
    DigestSubscription,
    EndReason,
    Meeting,
    MeetingOutcome,
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    PauseReason,
    Person,
    Programme,
    ProgrammeStatus,
    Prompt,
    Role,
    RoleGrant,
)

RUNNING = (ProgrammeStatus.ENROLLING, ProgrammeStatus.ACTIVE)


@dataclass
class Plan:
    """How many of each kind this tick queued (for logs, metrics and tests)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _met(index: Any) -> Any:
    return exists().where(
        Meeting.pair_id == Pair.id,
        Meeting.session_index == index,
        Meeting.outcome == MeetingOutcome.MET,
    )


def _insert_statement(session: AsyncSession, table: Any, keys: list[str]) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)


async def _insert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Bulk insert outbox rows, skipping keys already queued. Returns how many were new.

    One statement executed with many parameter sets (SQLAlchemy batches them into
    multi-row inserts), rather than a fresh statement built per chunk.
    """
    if not rows:
        return 0
    statement = _insert_statement(session, OutboxMessage, ["idempotency_key"]).returning(
        OutboxMessage.id
    )
    result = await session.execute(statement, list(rows))
    return len(result.all())


def _row(
    *,
    workspace_id: int,
    key: str,
    kind: str,
    now: datetime,
    ref_index: int,
    pair_id: int | None = None,
    person_id: int | None = None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "idempotency_key": key,
        "kind": kind,
        "payload": {},
        "planned": True,
        "person_id": person_id,
        "pair_id": pair_id,
        "channel": None,
        "ref_index": ref_index,
        "timing": "working",
        "expires_at": expires_at,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }


async def _running(session: AsyncSession) -> list[Programme]:
    return list(
        await session.scalars(
            select(Programme).where(Programme.status.in_(RUNNING)).order_by(Programme.id)
        )
    )


async def _agendas(
    session: AsyncSession, programme: Programme, total: int, now: datetime, plan: Plan
) -> None:
    due = and_(
        Pair.programme_id == programme.id,
        Pair.status == PairStatus.ACTIVE,
        Pair.next_agenda_at <= now,
    )
    # Two sessions in a row without a meeting: wait (stalled) instead of marching on.
    await session.execute(
        update(Pair)
        .where(
            due,
            Pair.session_index > 0,
            not_(_met(Pair.session_index)),
            not_(_met(Pair.session_index - 1)),
        )
        .values(next_agenda_at=None)
        .execution_options(synchronize_session=False)
    )
    finished = await lifecycle.end_where(
        session,
        due,
        Pair.session_index + 1 >= total,
        reason=EndReason.COMPLETED,
        now=now,
        also={"session_index": Pair.session_index + 1},
    )
    moved = (
        await session.execute(
            update(Pair)
            .where(due)
            .values(
                session_index=Pair.session_index + 1,
                **lifecycle.session_values(programme, now),
            )
            .returning(Pair.id, Pair.session_index)
            .execution_options(synchronize_session=False)
        )
    ).all()
    ws = programme.workspace_id
    rows = [
        _row(
            workspace_id=ws,
            key=f"pair:{pid}:closing",
            kind=Kind.CLOSING,
            now=now,
            ref_index=total,
            pair_id=pid,
        )
        for pid in finished
    ]
    rows += [
        _row(
            workspace_id=ws,
            key=f"pair:{pid}:session:{index}:agenda",
            kind=Kind.AGENDA,
            now=now,
            ref_index=index,
            pair_id=pid,
        )
        for pid, index in moved
    ]
    plan.add("agenda", await _insert(session, rows))


async def _nudges(
    session: AsyncSession, workspaces: dict[int, int], now: datetime, plan: Plan
) -> None:
    due = and_(Pair.status == PairStatus.ACTIVE, Pair.nudge_at <= now)
    wanted = (
        await session.execute(
            update(Pair)
            .where(due, not_(_met(Pair.session_index)))
            .values(nudge_at=None)
            .returning(Pair.id, Pair.programme_id, Pair.session_index, Pair.next_agenda_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    await session.execute(
        update(Pair).where(due).values(nudge_at=None).execution_options(synchronize_session=False)
    )
    rows = [
        _row(
            workspace_id=workspaces[prog],
            key=f"pair:{pid}:session:{index}:nudge",
            kind=Kind.MEET_NUDGE,
            now=now,
            ref_index=index,
            pair_id=pid,
            expires_at=until,
        )
        for pid, prog, index, until in wanted
        if prog in workspaces
    ]
    plan.add("meet_nudge", await _insert(session, rows))


async def _pulses(
    session: AsyncSession, programme: Programme, library: Library, now: datetime, plan: Plan
) -> None:
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
                    _row(
                        workspace_id=programme.workspace_id,
                        key=f"pair:{pid}:pulse:{day}:{person_id}",
                        kind=Kind.PULSE,
                        now=now,
                        ref_index=day,
                        pair_id=pid,
                        person_id=person_id,
                        expires_at=now + timedelta(days=7),
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
            _insert_statement(session, Prompt, ["pair_id", "person_id", "kind", "ref_index"]),
            prompts,
        )
    plan.add("pulse", await _insert(session, rows))


async def _reminders(
    session: AsyncSession, workspaces: dict[int, int], now: datetime, plan: Plan
) -> None:
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
        return
    programme_of = dict(
        (
            await session.execute(
                select(Pair.id, Pair.programme_id).where(Pair.id.in_({r[1] for r in reminded}))
            )
        ).all()
    )
    rows = [
        _row(
            workspace_id=workspaces[programme_of[pair_id]],
            key=f"prompt:{prompt_id}:reminder:{n}",
            kind=Kind.REMINDER,
            now=now,
            ref_index=prompt_id,
            pair_id=pair_id,
            person_id=person_id,
            expires_at=now + schedule.REMINDER_AFTER,
        )
        for prompt_id, pair_id, person_id, n in reminded
        if programme_of.get(pair_id) in workspaces
    ]
    plan.add("reminder", await _insert(session, rows))


async def _stalls(
    session: AsyncSession, workspaces: dict[int, int], now: datetime, plan: Plan
) -> None:
    stalled = (
        await session.execute(
            update(Pair)
            .where(Pair.status == PairStatus.ACTIVE, Pair.stall_at <= now)
            .values(stall_at=None)
            .returning(Pair.id, Pair.programme_id, Pair.last_met_at)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not stalled:
        return
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
    for pid, prog, last_met in stalled:
        ws = workspaces.get(prog)
        if ws is None:
            continue
        since = (last_met or now).strftime("%Y%m%d")
        rows += [
            _row(
                workspace_id=ws,
                key=f"pair:{pid}:stall:{since}:to:{coordinator}",
                kind=Kind.STALL,
                now=now,
                ref_index=pid,
                pair_id=pid,
                person_id=coordinator,
            )
            for coordinator in coordinators.get(ws, [])
        ]
    plan.add("stall", await _insert(session, rows))


async def _silence(
    session: AsyncSession, programmes: dict[int, Programme], now: datetime, plan: Plan
) -> None:
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
            _row(
                workspace_id=programme.workspace_id,
                key=f"pair:{pid}:silence:{stamp}",
                kind=Kind.INACTIVITY_NOTICE,
                now=now,
                ref_index=pid,
                pair_id=pid,
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
            _row(
                workspace_id=programme.workspace_id,
                key=f"pair:{pid}:autopause:{stamp}",
                kind=Kind.AUTO_PAUSED,
                now=now,
                ref_index=pid,
                pair_id=pid,
            )
            for pid in paused
        ]
    plan.add("inactivity", await _insert(session, rows))


async def _digests(session: AsyncSession, now: datetime, plan: Plan) -> None:
    """Weekly digests whose local send time has come: one per subscription per week."""
    due = list(
        await session.scalars(
            select(DigestSubscription)
            .where(DigestSubscription.next_at <= now)
            .with_for_update(skip_locked=True)
        )
    )
    rows = []
    for subscription in due:
        person = await session.get(Person, subscription.person_id)
        if person is None:
            continue
        week = digest.period(subscription.next_at or now, person.timezone)
        subscription.last_period = week
        subscription.next_at = digest.next_send(
            weekday=subscription.weekday,
            local_time=subscription.local_time,
            timezone=person.timezone,
            after=now,
        )
        row = _row(
            workspace_id=subscription.workspace_id,
            key=f"digest:{subscription.id}:{week}",
            kind=Kind.DIGEST,
            now=now,
            ref_index=subscription.id,
            person_id=person.id,
            expires_at=now + timedelta(days=2),
        )
        row["timing"] = "now"  # sent at the local time the reader chose
        rows.append(row)
    await session.flush()
    plan.add("digest", await _insert(session, rows))


async def plan(session: AsyncSession, *, library: Library, now: datetime) -> Plan:
    """Everything due at ``now``, queued. Safe to run from several processes at once."""
    result = Plan()
    # First: a pair whose mentor's clearance lapsed must get nothing else this tick.
    result.add("clearance_pause", await safeguarding.clearance_expired(session, now=now))
    programmes = {p.id: p for p in await _running(session)}
    workspaces = {p.id: p.workspace_id for p in programmes.values()}
    for programme in programmes.values():
        curriculum = library.get(programme.curriculum_key)
        if curriculum is not None:
            await _agendas(session, programme, len(curriculum.sessions), now, result)
            await _pulses(session, programme, library, now, result)
    await _nudges(session, workspaces, now, result)
    await _reminders(session, workspaces, now, result)
    await _stalls(session, workspaces, now, result)
    await _silence(session, programmes, now, result)
    await _digests(session, now, result)
    return result
