"""What pairing keeps about a person: their pairs, check-ins, pulse answers and prompts.

Declared here, beside the code that writes them, so ``my-data``, ``forget-me`` and the
retention purge (the privacy feature) cover these tables without naming them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import cards
from conversations.features.pairing import lifecycle
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.outbox import Outbox
from conversations.personal_data import iso, rowcount
from conversations.registry import Forgetting, personal_data
from storage import repositories as repo
from storage.models import (
    CheckIn,
    DoNotPair,
    EndReason,
    Pair,
    PairStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Prompt,
    PulseResponse,
)


async def _pairs_of(session: AsyncSession, person: Person) -> list[Pair]:
    return list(
        (
            await session.scalars(
                select(Pair)
                .where(or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id))
                .order_by(Pair.id)
            )
        ).unique()
    )


async def _forget_pairs(forgetting: Forgetting) -> None:
    """Live pairs end (the partner and the programme team are told, once the person is a
    placeholder); every pair loses its reason, which described both people by name; a draft
    nobody was told about goes, so it can never be published."""
    session, person, now = forgetting.session, forgetting.person, forgetting.now
    pairs = await _pairs_of(session, person)
    live = [p for p in pairs if p.status in repo.LIVE_PAIR]
    for pair in live:
        lifecycle.end(pair, reason=EndReason.LEFT, now=now)
        forgetting.ended.append(pair.id)
    for pair in pairs:
        if pair.status == PairStatus.PROPOSED:
            await session.delete(pair)
        else:
            pair.reason = ""
    workspace_id = person.workspace_id

    async def tell() -> None:
        outbox = Outbox(session, now)
        for pair in live:
            partner = pair.other(person.id)
            await outbox.to_person(
                partner,
                cards.partner_notice(
                    text=f"Your pairing in {pair.programme.name} has ended. It says nothing "
                    "about you, and the programme team will be in touch about what comes next.",
                    kind=Kind.PAIRING_ENDED,
                ),
                key=f"pair:{pair.id}:forgotten",
                holds=ALWAYS,
                about=pair,
            )
            await outbox.to_coordinators(
                workspace_id,
                cards.partner_notice(
                    text=f"{partner.label}'s pairing in {pair.programme.name} has ended, so "
                    "they are without a partner and may need a new match.",
                    kind=Kind.COORDINATOR_PAIRING_ENDED,
                ),
                key=f"pair:{pair.id}:forgotten:coordinators",
                holds=ALWAYS,
                about=pair,
            )

    forgetting.after.append(tell)


async def _told_end(session: AsyncSession, pair: Pair, person: Person) -> str | None:
    """Why the pairing ended, as this person was told it. Someone whose partner blocked
    them heard only that it ended, so their copy says no more (issue 16: my-data returns
    what the person may know); the one who blocked sees that they did."""
    if pair.end_reason != EndReason.BLOCKED:
        return pair.end_reason
    blocked_by_them = await session.scalar(
        select(DoNotPair.id).where(
            DoNotPair.source == "blocked",
            DoNotPair.created_by_id == person.id,
            DoNotPair.first_id == min(pair.mentor_id, pair.mentee_id),
            DoNotPair.second_id == max(pair.mentor_id, pair.mentee_id),
        )
    )
    return pair.end_reason if blocked_by_them is not None else "ended"


@personal_data("pairs", forget=_forget_pairs, order=30)
async def pairs(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    return [
        {
            "pair": pair.id,
            "programme": pair.programme.key,
            "your_role": "mentor" if pair.mentor_id == person.id else "mentee",
            "partner": pair.other(person.id).label,
            "status": pair.status,
            "why_you_were_paired": pair.reason,
            "session": pair.session_index + 1,
            "created_at": iso(pair.created_at),
            "started_at": iso(pair.started_at),
            "last_met_at": iso(pair.last_met_at),
            "ended_at": iso(pair.ended_at),
            "end_reason": await _told_end(session, pair, person),
        }
        for pair in await _pairs_of(session, person)
    ]


def _expired(now: datetime, retention: timedelta) -> Any:
    """Pairs of programmes closed longer ago than the retention period (open programmes are
    never purged, however old)."""
    return (
        select(Pair.id)
        .join(Programme, Programme.id == Pair.programme_id)
        .where(
            Programme.status == ProgrammeStatus.CLOSED,
            Programme.closed_at.is_not(None),
            Programme.closed_at <= now - retention,
        )
    )


async def _blank(session: AsyncSession, columns: tuple[Any, ...], *where: Any) -> int:
    """Empty these text columns (of one table) in the rows ``where`` selects that still hold
    any text, so running it again changes nothing. Returns rows emptied."""
    holding = or_(*(column.is_not(None) for column in columns))
    result = await session.execute(
        update(columns[0].class_)
        .where(*where, holding)
        .values({column.key: None for column in columns})
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


CHECK_IN_WORDS = (CheckIn.reflection, CheckIn.shareable_quote)
PULSE_WORDS = (PulseResponse.comment,)


async def _forget_check_ins(forgetting: Forgetting) -> None:
    await _blank(forgetting.session, CHECK_IN_WORDS, CheckIn.person_id == forgetting.person.id)


async def _purge_check_ins(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """Reflections and shared lines go once the programme has been closed for the retention
    period; ratings stay, so figures stay true."""
    return await _blank(session, CHECK_IN_WORDS, CheckIn.pair_id.in_(_expired(now, retention)))


@personal_data("check_ins", forget=_forget_check_ins, purge=_purge_check_ins, order=50)
async def check_ins(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(CheckIn).where(CheckIn.person_id == person.id).order_by(CheckIn.id)
    )
    return [
        {
            "pair": c.pair_id,
            "session": c.session_index + 1,
            "rating": c.rating,
            "private_reflection": c.reflection,
            "line_to_share": c.shareable_quote,
            "created_at": iso(c.created_at),
        }
        for c in rows
    ]


async def _forget_pulses(forgetting: Forgetting) -> None:
    await _blank(forgetting.session, PULSE_WORDS, PulseResponse.person_id == forgetting.person.id)


async def _purge_pulses(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """Pulse comments go like check-in reflections; ratings stay."""
    return await _blank(session, PULSE_WORDS, PulseResponse.pair_id.in_(_expired(now, retention)))


@personal_data("pulse_responses", forget=_forget_pulses, purge=_purge_pulses, order=51)
async def pulse_responses(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(PulseResponse).where(PulseResponse.person_id == person.id).order_by(PulseResponse.id)
    )
    return [
        {
            "pair": p.pair_id,
            "day": p.day,
            "rating": p.rating,
            "private_comment": p.comment,
            "created_at": iso(p.created_at),
        }
        for p in rows
    ]


async def _forget_prompts(forgetting: Forgetting) -> None:
    """Prompts stay: they hold no words, only that a check-in was asked for and answered,
    and the digest's response rates for past weeks must not change when someone leaves.
    Only their reminders stop."""
    await forgetting.session.execute(
        update(Prompt)
        .where(Prompt.person_id == forgetting.person.id)
        .values(next_reminder_at=None)
        .execution_options(synchronize_session=False)
    )


def _about(prompt: Prompt) -> int | str:
    """The session a check-in asks about, the day of a pulse; who sent a nudge, in words."""
    if prompt.kind == Kind.CHECKIN:
        return prompt.ref_index + 1
    if prompt.kind == Kind.COORDINATOR_NUDGE:
        return "a message from the programme team"
    return prompt.ref_index


@personal_data("prompts", forget=_forget_prompts, order=52)
async def prompts(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Prompt).where(Prompt.person_id == person.id).order_by(Prompt.id)
    )
    return [
        {
            "pair": p.pair_id,
            "kind": p.kind,
            "about": _about(p),
            "asked_at": iso(p.asked_at),
            "answered_at": iso(p.answered_at),
            "reminders_sent": p.reminders_sent,
        }
        for p in rows
    ]
