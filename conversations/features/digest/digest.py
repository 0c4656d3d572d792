"""The executive digest: when it is due, and what this week's says.

Executives get one message a week at the local time they chose: is mentoring
happening, is it working. Aggregates only (``figures``): no participant's
name, no private word. A breakdown by programme or department of fewer than
``min_group`` people says only "fewer than N". Highlights are lines participants
chose to share, with names taken out. One line says what, if anything, needs an
executive. A chart of the last eight weeks travels as a PNG attachment, and the
same trend is in the text as a sparkline for wherever a picture cannot go.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.durations import describe
from conversations.features.digest.chart import chart_png, sparkline
from conversations.features.digest.figures import (
    PERIOD,
    STALL_DAYS,
    WEEKS,
    Figures,
    Group,
    departments,
    figures,
    total,
)
from conversations.kinds import Kind
from conversations.messages import Attachment, Card, CardField, Message, Section
from storage.models import (
    CheckIn,
    DigestSubscription,
    Enrolment,
    Pair,
    Person,
    Programme,
    ProgrammeStatus,
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


STALLED = timedelta(days=STALL_DAYS)
"""How long without a meeting puts a pair at risk."""
MAX_HIGHLIGHTS = 3
MIN_GROUP_FLOOR = 3
"""Below this a "group" is one or two people: never allowed, whatever is configured."""


def _trend(now: int | None, before: int | None, unit: str = " %") -> str:
    if now is None:
        return "no figures"
    if before is None:
        return f"{now}{unit}"
    if now == before:
        return f"{now}{unit}, as the week before"
    arrow = "▲" if now > before else "▼"
    return f"{now}{unit} {arrow} from {before}{unit}"


def _oldest_first(values: tuple[int, ...] | list[int | None]) -> list[int | None]:
    return list(reversed(list(values)))


def _rating(fig: Figures, min_group: int) -> str:
    """The week's average rating, shown only when at least ``min_group`` check-ins gave
    one, at every scope: an average of one or two ratings is those people's ratings."""
    rating, count = fig.rating(), fig.rating_count[0]
    if rating is None:
        return "no check-ins this week"
    if count < min_group:
        return f"fewer than {min_group} check-ins this week, so not shown"
    return f"{rating:.1f} / 5 ({count} check-ins)"


def _fields(fig: Figures, min_group: int) -> tuple[CardField, ...]:
    return (
        CardField(label="Active pairs", value=f"{fig.active} ({fig.new[0]} new this week)"),
        CardField(
            label="Pairs that met",
            value=f"{fig.met[0]} of {fig.live[0]}: " + _trend(fig.met_share(0), fig.met_share(1)),
        ),
        CardField(
            label="Check-ins answered",
            value=f"{fig.answered[0]} of {fig.asked[0]}: "
            + _trend(fig.response_rate(0), fig.response_rate(1))
            if fig.asked[0]
            else "none asked for this week",
        ),
        CardField(label="Average session rating", value=_rating(fig, min_group)),
        CardField(label="Sessions so far", value=fig.sessions.words()),
        CardField(label="Milestone check-ins", value=str(fig.milestones[0])),
        CardField(label="Joined / left", value=f"{fig.joined[0]} / {fig.left[0]}"),
        CardField(
            label="Pairs at risk",
            value=f"{fig.stalled} (no meeting for {describe(STALLED)})",
        ),
        CardField(label="Open concerns", value=f"{fig.concerns} (handled by the programme team)"),
    )


def _summary(fig: Figures) -> str:
    share = fig.met_share(0)
    rate = fig.response_rate(0)
    return (
        f"{fig.active} active pairs ({fig.new[0]} new); {fig.met[0]} met"
        + (f" ({share} %)" if share is not None else "")
        + f"; check-ins answered: {rate if rate is not None else '–'} %"
        + f"; {fig.stalled} at risk; {fig.concerns} open concerns."
    )


def _programme_lines(
    programmes: list[Programme], by_programme: dict[int, Figures], min_group: int
) -> list[str]:
    lines = []
    for programme in programmes:
        fig = by_programme[programme.id]
        if fig.participants < min_group:
            lines.append(f"• {programme.name}: fewer than {min_group} people")
            continue
        share = fig.met_share(0)
        lines.append(
            f"• {programme.name}: {fig.active} active pairs, {fig.met[0]} met"
            + (f" ({share} %)" if share is not None else "")
            + f", {fig.participants} people"
        )
    return lines


def _department_lines(groups: list[Group], min_group: int) -> list[str]:
    lines = []
    small = [g.name for g in groups if g.people < min_group]
    for group in groups:
        if group.people < min_group:
            continue
        waiting = f", {_mentees(group.waiting)} waiting" if group.waiting else ""
        lines.append(
            f"• {group.name}: {group.people} people, {group.met} of {group.live} pairs met{waiting}"
        )
    if small:
        each = " each" if len(small) > 1 else ""
        lines.append(f"• {', '.join(small)}: fewer than {min_group} people{each}")
    return lines


def _mentees(count: int) -> str:
    return f"{count} mentee{'' if count == 1 else 's'}"


def what_to_do(fig: Figures, groups: list[Group], min_group: int) -> str:
    """The one thing, if any, that needs an executive this week."""
    waiting = [g for g in groups if g.waiting and g.people >= min_group]
    if waiting:
        most = max(waiting, key=lambda g: (g.waiting, g.name))
        if most.waiting >= 3:
            return (
                f"{most.name} has {most.waiting} mentees waiting for a mentor: a word from "
                "you could bring volunteers forward."
            )
    all_waiting = sum(g.waiting for g in groups)
    if all_waiting >= 3:
        return f"{all_waiting} mentees are waiting for a mentor: more mentors are needed."
    # Two weeks against the two before: a fortnightly rhythm makes single weeks seesaw.
    recent, earlier = fig.met[0] + fig.met[1], fig.met[2] + fig.met[3]
    if fig.live[0] >= 3 and earlier >= 3 and recent * 10 < earlier * 6:
        return (
            f"Pairs met less in the last two weeks than in the two before ({recent} "
            f"against {earlier}): a note of encouragement from you goes a long way."
        )
    if fig.live[0] and fig.stalled * 5 >= fig.live[0] and fig.stalled >= 3:
        return (
            f"{fig.stalled} pairs have not met for {describe(STALLED)}; the programme team is "
            "following up, and may ask for your help."
        )
    return "Nothing needs you this week."


_MENTION = re.compile(r"<[@#][^>]*>|@\S+|\S+@\S+\.\w+")


def anonymise(quote: str, names: list[str], others: frozenset[str] = frozenset()) -> str:
    """The quote without any mention or address, the names of the two people in its pair
    (in any case), or the capitalised name of anyone else in the programmes (``others``)."""
    text = _MENTION.sub("[name]", quote)
    words = {w for name in names for w in [name, *name.split()] if len(w) >= 2}
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(word)}\b", "[name]", text, flags=re.IGNORECASE)
    text = _WORD.sub(lambda m: "[name]" if m.group(0) in others else m.group(0), text)
    return " ".join(text.split())


_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")


async def _names_in(session: AsyncSession, programme_ids: list[int]) -> frozenset[str]:
    """Every capitalised word of the names of people enrolled in these programmes."""
    names = await session.scalars(
        select(Person.display_name)
        .join(Enrolment, Enrolment.person_id == Person.id)
        .where(Enrolment.programme_id.in_(programme_ids))
        .distinct()
    )
    return frozenset(
        word for name in names for word in _WORD.findall(name or "") if word[:1].isupper()
    )


async def highlights(
    session: AsyncSession,
    *,
    programme_ids: list[int],
    end: datetime,
    unnamed: frozenset[int] | set[int] = frozenset(),
) -> list[str]:
    """Lines participants chose to share this week, without names. A line from a programme
    in ``unnamed`` (fewer than the smallest group shown) says only "a participant": its
    side and programme would say who wrote it."""
    rows = list(
        (
            await session.execute(
                select(CheckIn.shareable_quote, CheckIn.person_id, Pair)
                .join(Pair, Pair.id == CheckIn.pair_id)
                .where(
                    Pair.programme_id.in_(programme_ids),
                    CheckIn.shareable_quote.is_not(None),
                    CheckIn.created_at > end - PERIOD,
                    CheckIn.created_at <= end,
                )
                .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
                .limit(MAX_HIGHLIGHTS)
            )
        ).unique()
    )
    if not rows:
        return []
    others = await _names_in(session, programme_ids)
    found = []
    for quote, author, pair in rows:
        side = "a mentor" if author == pair.mentor_id else "a mentee"
        names = [pair.mentor.display_name, pair.mentee.display_name]
        text = anonymise(str(quote), [n for n in names if n], others)
        by = "a participant" if pair.programme_id in unnamed else f"{side}, {pair.programme.name}"
        if text:
            found.append(f"“{text}” — {by}")
    return found


async def compose(
    session: AsyncSession,
    *,
    workspace_id: int,
    programme_id: int | None,
    timezone: str,
    now: datetime,
    min_group: int = 5,
) -> Message | None:
    """The digest for programmes in a workspace (one, or all that have started), as of
    ``now``; None when there is nothing to report on yet."""
    min_group = max(min_group, MIN_GROUP_FLOOR)
    query = select(Programme).where(
        Programme.workspace_id == workspace_id, Programme.status != ProgrammeStatus.DRAFT
    )
    if programme_id is not None:
        query = query.where(Programme.id == programme_id)
    programmes = list(await session.scalars(query.order_by(Programme.key)))
    if not programmes:
        return None
    ids = [p.id for p in programmes]
    by_programme = await figures(session, programme_ids=ids, end=now)
    fig = total(by_programme.values())
    scope = programmes[0].name if programme_id is not None else "All programmes"
    local_end = now.astimezone(ZoneInfo(timezone))
    if fig.participants < min_group:
        return _too_few(scope, min_group, local_end)
    groups = await departments(session, programme_ids=ids, end=now)
    small = {p.id for p in programmes if by_programme[p.id].participants < min_group}
    quotes = await highlights(session, programme_ids=ids, end=now, unnamed=small)
    todo = what_to_do(fig, groups, min_group)
    week_ends = [now - PERIOD * w for w in reversed(range(WEEKS))]
    met_series = _oldest_first(list(fig.met))
    rate_series = _oldest_first([fig.response_rate(w) for w in range(WEEKS)])
    trend = (
        f"Pairs that met, last {WEEKS} weeks: {sparkline(met_series)} "
        f"({met_series[0]} → {met_series[-1]})\n"
        f"Check-ins answered: {sparkline(rate_series)}"
    )
    sections = [Section(fields=_fields(fig, min_group)), Section(text=trend)]
    if len(programmes) > 1:
        lines = _programme_lines(programmes, by_programme, min_group)
        sections.append(Section(text="*By programme*\n" + "\n".join(lines)))
    if groups:
        lines = _department_lines(groups, min_group)
        sections.append(Section(text="*By department*\n" + "\n".join(lines)))
    if quotes:
        sections.append(Section(text="*In their words*\n" + "\n".join(quotes)))
    sections.append(Section(text=f"*What to do:* {todo}"))
    sections.append(
        Section(
            text=f"Counts only: no names, no private words. Groups of fewer than {min_group} "
            "people are not broken down."
        )
    )
    text = (
        f"Mentoring this week ({scope}, to {local_end.day} {local_end:%b}): {_summary(fig)}\n"
        f"{trend}\nWhat to do: {todo}"
    )
    chart = partial(
        chart_png,
        week_ends=[e.astimezone(ZoneInfo(timezone)) for e in week_ends],
        met=[v or 0 for v in met_series],
        response_rate=rate_series,
    )
    return Message(
        text=text,
        kind=Kind.DIGEST,
        card=Card(
            header=f"Mentoring this week: {scope}",
            sections=tuple(sections),
        ),
        # Drawn when a transport sends or shows it: the terminal never does.
        attachments=(
            Attachment.drawn(f"mentoring-{period(now, timezone)}.png", "image/png", chart),
        ),
    )


def _too_few(scope: str, min_group: int, local_end: datetime) -> Message:
    """The digest of a scope with fewer than ``min_group`` people: the same words the
    all-programmes view gives such a programme, and nothing else. With so few people every
    figure (who met, a rating, an open concern, a quote) describes someone."""
    said = (
        f"fewer than {min_group} people take part, so no figures are shown (with so few, "
        "each one would describe someone)."
    )
    return Message(
        text=f"Mentoring this week ({scope}, to {local_end.day} {local_end:%b}): {said}",
        kind=Kind.DIGEST,
        card=Card(
            header=f"Mentoring this week: {scope}",
            sections=(Section(text=said[0].upper() + said[1:]),),
        ),
    )


async def render(
    session: AsyncSession, subscription: DigestSubscription, *, now: datetime, min_group: int = 5
) -> Message | None:
    reader = await session.get(Person, subscription.person_id)
    if reader is None:
        return None
    return await compose(
        session,
        workspace_id=subscription.workspace_id,
        programme_id=subscription.programme_id,
        timezone=reader.timezone,
        now=now,
        min_group=min_group,
    )
