"""The executive digest: when it is due, and what this week's looks like.

Executives get one message a week at the local time they chose: is mentoring
happening, is it working. Only counts, never a name or a private word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.messages import Card, CardField, Message, Section
from storage.models import (
    CheckIn,
    Concern,
    DigestSubscription,
    Meeting,
    MeetingOutcome,
    Pair,
    PairStatus,
    Person,
    Programme,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_send(*, weekday: int, local_time: str, timezone: str, after: datetime) -> datetime:
    """The next moment strictly after ``after`` that is ``weekday`` at ``local_time`` there."""
    zone = ZoneInfo(timezone)
    at = time.fromisoformat(local_time)
    local = after.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        moment = datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))
        if moment > after:
            return moment
    day = local.date() + timedelta(days=7 + (weekday - local.weekday()) % 7)
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def period(moment: datetime, timezone: str) -> str:
    """The ISO week a digest belongs to, in the reader's zone: one digest per period."""
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class Week:
    active: int
    new: int
    met: int
    checkins: int
    rating: float | None
    stalled: int
    concerns: int


async def week(
    session: AsyncSession, *, programme_ids: list[int], end: datetime, stall_days: int = 21
) -> Week:
    start = end - timedelta(days=7)
    in_scope = Pair.programme_id.in_(programme_ids)
    active = (
        await session.scalar(
            select(func.count(Pair.id)).where(in_scope, Pair.status == PairStatus.ACTIVE)
        )
        or 0
    )
    new = (
        await session.scalar(
            select(func.count(Pair.id)).where(
                in_scope, Pair.started_at > start, Pair.started_at <= end
            )
        )
        or 0
    )
    met = (
        await session.scalar(
            select(func.count(func.distinct(Meeting.pair_id)))
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(
                in_scope,
                Meeting.outcome == MeetingOutcome.MET,
                Meeting.logged_at > start,
                Meeting.logged_at <= end,
            )
        )
        or 0
    )
    checkins, rating = (
        await session.execute(
            select(func.count(CheckIn.id), func.avg(CheckIn.rating))
            .join(Pair, Pair.id == CheckIn.pair_id)
            .where(in_scope, CheckIn.created_at > start, CheckIn.created_at <= end)
        )
    ).one()
    stalled = (
        await session.scalar(
            select(func.count(Pair.id)).where(
                in_scope,
                Pair.status == PairStatus.ACTIVE,
                func.coalesce(Pair.last_met_at, Pair.started_at)
                <= end - timedelta(days=stall_days),
            )
        )
        or 0
    )
    concerns = (
        await session.scalar(
            select(func.count(Concern.id)).where(
                Concern.programme_id.in_(programme_ids), Concern.status != "resolved"
            )
        )
        or 0
    )
    return Week(
        active=int(active),
        new=int(new),
        met=int(met),
        checkins=int(checkins or 0),
        rating=float(rating) if rating is not None else None,
        stalled=int(stalled),
        concerns=int(concerns),
    )


async def render(
    session: AsyncSession, subscription: DigestSubscription, *, now: datetime
) -> Message | None:
    reader = await session.get(Person, subscription.person_id)
    if reader is None:
        return None
    query = select(Programme).where(Programme.workspace_id == subscription.workspace_id)
    if subscription.programme_id is not None:
        query = query.where(Programme.id == subscription.programme_id)
    programmes = [
        p for p in await session.scalars(query.order_by(Programme.key)) if p.status != "draft"
    ]
    if not programmes:
        return None
    figures = await week(session, programme_ids=[p.id for p in programmes], end=now)
    share = f" ({100 * figures.met // figures.active} %)" if figures.active else ""
    rating = f"{figures.rating:.1f} / 5" if figures.rating is not None else "no check-ins"
    fields = (
        CardField(label="Active pairs", value=f"{figures.active} ({figures.new} new)"),
        CardField(label="Pairs that met this week", value=f"{figures.met}{share}"),
        CardField(label="Check-ins", value=f"{figures.checkins}, average {rating}"),
        CardField(label="Pairs needing a nudge", value=str(figures.stalled)),
        CardField(label="Open concerns", value=str(figures.concerns)),
    )
    scope = programmes[0].name if subscription.programme_id else "All programmes"
    text = (
        f"Mentoring this week ({scope}): {figures.active} active pairs, {figures.met} met"
        f"{share}; {figures.checkins} check-ins, average {rating}; "
        f"{figures.stalled} needing a nudge; {figures.concerns} open concerns."
    )
    return Message(
        text=text,
        kind="digest",
        card=Card(
            header=f"Mentoring this week: {scope}",
            sections=(
                Section(fields=fields),
                Section(text="Counts only: no names, no private words."),
            ),
        ),
    )
