"""Safeguarded (youth) programmes: who is a minor, a guardian's consent, mentors' clearances.

A pairing may run only while nothing stands in its way (``obstacles``): the mentor in a
safeguarded programme holds a valid clearance, a minor has a parent's or guardian's
consent on record, and an adult and a minor are together only in a safeguarded programme.
``matching.eligibility`` decides the same rules before a pairing starts; this module keeps
them true afterwards. When one stops being true the pair pauses at once and the two people
are told only that the programme team paused it: a lapsed background check or a withdrawn
consent is nobody else's business, least of all the partner's. Coordinators are told what
happened, with names and dates, because they are the ones who put it right; resuming is
their decision (``pair resume``), and it is refused while anything still stands in the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.errors import UserError
from conversations.features.matching import eligibility
from conversations.features.pairing import lifecycle
from conversations.features.pairing.holds import pair_paused
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import Pair, PairStatus, PauseReason, Person, Programme, Role


def parse_day(text: str) -> datetime:
    """A YYYY-MM-DD date as midnight UTC, or a sentence saying how to write one."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise UserError(
            f"'{text}' isn't a date; write it as YYYY-MM-DD, e.g. 2027-06-30."
        ) from None
    return day.replace(tzinfo=UTC)


def day_text(day: date) -> str:
    """A date for a sentence, as coordinators write it: "2 Mar 2026"."""
    return f"{day.day} {day:%b %Y}"


def obstacles(pair: Pair, now: datetime) -> list[str]:
    """What stops this pairing running now, in a coordinator's words (empty: nothing does)."""
    programme = pair.programme
    found: list[str] = []
    if programme.safeguarded and not eligibility.clearance_valid(pair.mentor, now):
        found.append(f"{pair.mentor.label} has no valid clearance")
    for person in (pair.mentor, pair.mentee):
        if person.is_minor and person.guardian_consent_at is None:
            found.append(eligibility.held_because("guardian", person))
    if eligibility.ages_barred(programme, pair.mentor, pair.mentee):
        found.append(eligibility.AGES)
    return found


def described(pairs: Sequence[Pair]) -> str:
    """Pairs for a coordinator's sentence: "Ana with Ben in STEM and Ana with Cleo in STEM"."""
    parts = [f"{p.mentor.label} with {p.mentee.label} in {p.programme.name}" for p in pairs]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def resume_command(pair: Pair) -> str:
    """The command a coordinator types to let this pair carry on."""
    return (
        f"pair resume @{pair.mentor.platform_user_id} @{pair.mentee.platform_user_id} "
        f"{pair.programme.key}"
    )


def paused_notice(pair: Pair, person: Person) -> Message:
    """What each person in a paused pair is told: which pairing, who paused it, never why."""
    return Message(
        text=f"Your pairing with {pair.other(person.id).label} in {pair.programme.name} has "
        "been paused by the programme team. Nothing you need to do.",
        kind=Kind.PAUSED_BY_TEAM,
    )


async def _tell_pairs(session: AsyncSession, pairs: Sequence[Pair], now: datetime) -> None:
    outbox = Outbox(session, now)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    for pair in pairs:
        for person in (pair.mentor, pair.mentee):
            await outbox.to_person(
                person,
                paused_notice(pair, person),
                key=f"pair:{pair.id}:safeguarding-pause:{stamp}:{person.id}",
                holds=(pair_paused(pair),),
                about=pair,
            )


async def hold(
    session: AsyncSession, *, person: Person, paused_by: PauseReason, now: datetime
) -> list[Pair]:
    """Pause this person's running pairs that may no longer run, and tell both people.

    Called after a coordinator changes someone's safeguarding record (marks them a minor,
    withdraws a guardian's consent, revokes a clearance). Pairs already paused stay as
    they are, whoever paused them. Returns the pairs it paused.
    """
    held = [
        pair
        for pair in await repo.live_pairs_of(session, person_id=person.id)
        if pair.status == PairStatus.ACTIVE and obstacles(pair, now)
    ]
    for pair in held:
        lifecycle.pause(pair, paused_by)
    await _tell_pairs(session, held, now)
    return held


async def resumable(session: AsyncSession, *, person: Person, now: datetime) -> list[Pair]:
    """This person's pairs that the programme team paused and that nothing holds any more."""
    return [
        pair
        for pair in await repo.live_pairs_of(session, person_id=person.id)
        if pair.status == PairStatus.PAUSED
        and pair.paused_by is not None
        and pair.paused_by.held_by_team
        and not obstacles(pair, now)
    ]


async def tell_coordinators(
    session: AsyncSession,
    *,
    workspace_id: int,
    message: Message,
    key: str,
    now: datetime,
    besides: Person | None = None,
) -> int:
    """Tell every coordinator but ``besides`` (who acted, and has the reply already)."""
    outbox = Outbox(session, now)
    told = 0
    for coordinator in await repo.people_with_role(
        session, workspace_id=workspace_id, role=Role.COORDINATOR
    ):
        if besides is None or coordinator.id != besides.id:
            told += await outbox.to_person(
                coordinator,
                message,
                key=f"{key}:to:{coordinator.id}",
                holds=ALWAYS,  # it reports what a coordinator already did
            )
    return told


def _lapsed(mentor: Person) -> str:
    if mentor.clearance_expires_at is not None:
        return f"{mentor.label}'s clearance expired on {day_text(mentor.clearance_expires_at)}"
    return f"{mentor.label} has no clearance on record"


async def clearance_expired(session: AsyncSession, *, now: datetime) -> int:
    """Pause every running pair in a safeguarded programme whose mentor's clearance has
    lapsed; tell both people only that the programme team paused it, and each workspace's
    coordinators once per mentor, with the mentor's name and the expiry date.

    A lapsed clearance is one that expired (``clearance_expires_at <= now``), was revoked or
    was never recorded: the last two also catch a pair a participant resumed before the
    clearance was renewed. Set-based and safe to run from several processes at once, as the
    planner is: one ``UPDATE … RETURNING`` claims the pairs, so each is paused, and its
    people told, by exactly one run, and a second run finds nothing. Returns how many pairs
    it paused.
    """
    # Correlated on the pair's mentor, so only pairs in safeguarded programmes look anyone up.
    lapsed = exists().where(
        Person.id == Pair.mentor_id,
        or_(Person.clearance_recorded_at.is_(None), Person.clearance_expires_at <= now),
    )
    safeguarded = select(Programme.id).where(Programme.safeguarded.is_(True))
    claimed = await lifecycle.pause_where(
        session, Pair.programme_id.in_(safeguarded), lapsed, reason=PauseReason.CLEARANCE
    )
    if not claimed:
        return 0
    pairs = list(
        (
            await session.scalars(
                select(Pair)
                .where(Pair.id.in_(claimed))
                .order_by(Pair.id)
                .execution_options(populate_existing=True)
            )
        ).unique()
    )
    await _tell_pairs(session, pairs, now)
    by_mentor: dict[int, list[Pair]] = {}
    for pair in pairs:
        by_mentor.setdefault(pair.mentor_id, []).append(pair)
    for mentor_pairs in by_mentor.values():
        mentor = mentor_pairs[0].mentor
        expiry = mentor.clearance_expires_at
        stamp = f"{expiry:%Y%m%dT%H%M%S}" if expiry is not None else "none"
        renew = f"clearance record @{mentor.platform_user_id} --expires YYYY-MM-DD"
        await Outbox(session, now).to_coordinators(
            mentor.workspace_id,
            Message(
                text=f"{_lapsed(mentor)}, so I've paused "
                f"{'their pairing' if len(mentor_pairs) == 1 else 'their pairings'} "
                f"({described(mentor_pairs)}). Both people were told only that the programme "
                f"team paused it. Once the clearance is renewed ({renew}), let each pair carry "
                "on with: " + "; ".join(resume_command(p) for p in mentor_pairs) + ".",
                kind=Kind.CLEARANCE_LAPSED,
            ),
            key=f"safeguarding:clearance:{mentor.id}:{stamp}:{mentor_pairs[0].id}",
            holds=ALWAYS,  # it reports what was paused, and why
            about=[p for each in mentor_pairs for p in (each.mentor, each.mentee)],
        )

    return len(pairs)
