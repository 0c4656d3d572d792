"""Safeguarding from chat: who is a minor, a guardian's consent, and resuming a held pair.

Coordinators keep these records because they are what decide whether a young person may be
mentored at all (``conversations.features.safeguarding.safeguarding``). Every change is
audited. A change that
means a running pair may no longer run pauses it in the same transaction, and its two
people hear only that the programme team paused it; the other coordinators are told why.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.pairing import lifecycle
from conversations.features.pairing.holds import pair_active
from conversations.features.safeguarding import safeguarding
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.outbox import Outbox
from conversations.registry import verb
from storage.models import Pair, PairStatus, PauseReason, Person, Role

SAFEGUARDING = "Safeguarding"


def paused_sentence(pairs: list[Pair]) -> str:
    if not pairs:
        return ""
    return (
        f" I've paused {safeguarding.described(pairs)}: both people were told only that the "
        "programme team paused it."
    )


def resume_hint(pairs: list[Pair]) -> str:
    if not pairs:
        return ""
    commands = "; ".join(safeguarding.resume_command(p) for p in pairs)
    return f" Paused pairings that can now carry on, if you're happy they should: {commands}."


async def tell_others(
    ctx: Context, *, change: str, what: str, person: Person, pairs: list[Pair]
) -> None:
    """Tell the other coordinators what this coordinator did (``change``, e.g.
    "guardian.revoke", as audited) and what it paused."""
    paused = f", so I've paused {safeguarding.described(pairs)}" if pairs else ""
    await safeguarding.tell_coordinators(
        ctx.session,
        workspace_id=ctx.workspace.id,
        message=Message(
            text=f"{ctx.actor.label} {what}{paused}."
            + (" Both people were told only that the programme team paused it." if pairs else ""),
            kind=Kind.SAFEGUARDING_NOTICE,
        ),
        key=f"safeguarding:{change}:{person.id}:{ctx.now:%Y%m%dT%H%M%S}",
        now=ctx.now,
        besides=ctx.actor,
    )


@verb(
    "minor",
    summary="mark someone as under 18 (no: not under 18); they are paired only with a "
    "guardian's consent",
    role=Role.COORDINATOR,
    arguments=(
        arg.person(),
        arg.choice(
            "answer",
            "yes",
            "no",
            optional=True,
            default="yes",
            problem="'{word}' isn't yes or no: minor @person yes marks someone as under 18, "
            "minor @person no takes the mark away.",
        ),
    ),
    group=SAFEGUARDING,
)
async def minor(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    marking = args.answer == "yes"
    if person.is_minor == marking:
        state = "already marked" if marking else "not marked"
        raise UserError(f"Nothing to change: {person.label} is {state} as under 18.")
    person.is_minor = marking
    await ctx.audit(
        "minor.mark" if marking else "minor.unmark",
        target="{0}",
        people=(person,),
        before={"minor": not marking},
        after={"minor": marking},
    )
    if not marking:
        freed = await safeguarding.resumable(ctx.session, person=person, now=ctx.now)
        return [
            Message(
                text=f"{person.label} is no longer marked as under 18.{resume_hint(freed)}",
                kind=Kind.SAFEGUARDING,
            )
        ]
    paused = await safeguarding.hold(
        ctx.session, person=person, paused_by=PauseReason.PROGRAMME_TEAM, now=ctx.now
    )
    if paused:
        await tell_others(
            ctx,
            change="minor.mark",
            what=f"marked {person.label} as under 18",
            person=person,
            pairs=paused,
        )
    consent = (
        " A guardian's consent is on record from "
        f"{safeguarding.day_text(person.guardian_consent_at)}."
        if person.guardian_consent_at is not None
        else f" No guardian's consent is on record yet; until it is, {person.label} won't be "
        f"paired. Record it with guardian consent @{person.platform_user_id} [YYYY-MM-DD]."
    )
    return [
        Message(
            text=f"Marked {person.label} as under 18.{consent}{paused_sentence(paused)}",
            kind=Kind.SAFEGUARDING,
        )
    ]


@verb(
    "guardian consent",
    summary="record a parent's or guardian's consent for someone under 18 (given today "
    "unless you name the day)",
    role=Role.COORDINATOR,
    arguments=(
        arg.person(),
        arg.day(
            "day",
            optional=True,
            problem="'{word}' isn't a date; write it as YYYY-MM-DD, e.g. 2027-06-30.",
        ),
    ),
    group=SAFEGUARDING,
)
async def guardian_consent(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    if not person.is_minor:
        raise UserError(
            f"{person.label} isn't marked as under 18, so no guardian's consent is needed. "
            f"If they are under 18, type minor @{person.platform_user_id} yes first."
        )
    today = ctx.now.astimezone(ZoneInfo(ctx.actor.timezone)).date()
    given, day = ctx.now, today
    if args.day is not None:
        given = datetime.combine(args.day, time(), tzinfo=UTC)
        day = args.day
        if day > today:
            raise UserError(
                "That date is in the future; record a guardian's consent once it has been given."
            )
    before = person.guardian_consent_at
    person.guardian_consent_at = given
    await ctx.audit(
        "guardian.consent",
        target="{0}",
        people=(person,),
        before={"consent": before.date().isoformat() if before else None},
        after={"consent": day.isoformat()},
    )
    freed = await safeguarding.resumable(ctx.session, person=person, now=ctx.now)
    return [
        Message(
            text=f"Recorded a guardian's consent for {person.label}, given "
            f"{safeguarding.day_text(day)}.{resume_hint(freed)}",
            kind=Kind.SAFEGUARDING,
        )
    ]


@verb(
    "guardian revoke",
    summary="withdraw a guardian's consent: that person's pairs pause at once",
    role=Role.COORDINATOR,
    arguments=(arg.person(),),
    group=SAFEGUARDING,
)
async def guardian_revoke(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    before = person.guardian_consent_at
    if before is None:
        raise UserError(f"No guardian's consent is on record for {person.label}.")
    person.guardian_consent_at = None
    await ctx.audit(
        "guardian.revoke",
        target="{0}",
        people=(person,),
        before={"consent": before.date().isoformat()},
        after={"consent": None},
    )
    paused = await safeguarding.hold(
        ctx.session, person=person, paused_by=PauseReason.PROGRAMME_TEAM, now=ctx.now
    )
    await tell_others(
        ctx,
        change="guardian.revoke",
        what=f"withdrew the guardian's consent for {person.label}",
        person=person,
        pairs=paused,
    )
    nothing = "" if paused else f" {person.label} has no running pairing, so nothing was paused."
    return [
        Message(
            text=f"Withdrew the guardian's consent for {person.label}."
            f"{paused_sentence(paused)}{nothing}",
            kind=Kind.SAFEGUARDING,
        )
    ]


@verb(
    "pair resume",
    summary="let a pairing the programme team paused carry on, once nothing stands in its way",
    role=Role.COORDINATOR,
    arguments=(arg.person("mentor"), arg.person("mentee"), arg.programme()),
    group=SAFEGUARDING,
)
async def pair_resume(ctx: Context, args: Args) -> Reply:
    mentor, mentee, programme, pair = await ctx.live_pair(args.mentor, args.mentee, args.program)
    if pair.status == PairStatus.ACTIVE:
        raise UserError(f"{mentor.label} and {mentee.label} aren't paused in {programme.name}.")
    if pair.paused_by == PauseReason.PARTICIPANT:
        raise UserError(
            f"{mentor.label} and {mentee.label} paused this pairing themselves; only they can "
            "pick it up again, by typing resume."
        )
    standing = safeguarding.obstacles(pair, ctx.now)
    if standing:
        raise UserError(
            f"{mentor.label} and {mentee.label} can't carry on yet: {'; '.join(standing)}."
        )
    before = pair.paused_by
    lifecycle.resume(pair, programme=programme, now=ctx.now)
    outbox = Outbox(ctx.session, ctx.now)
    for person in (pair.mentor, pair.mentee):
        await outbox.to_person(
            person,
            Message(
                text=f"Your pairing with {pair.other(person.id).label} in {programme.name} can "
                "carry on: the programme team has resumed it. I'll send your next agenda on "
                "the usual rhythm.",
                kind=Kind.RESUMED_BY_TEAM,
            ),
            key=f"pair:{pair.id}:team-resume:{ctx.now:%Y%m%dT%H%M%S}:{person.id}",
            holds=(pair_active(pair),),
            about=pair,
        )

    await ctx.audit(
        "pair.resume",
        programme=programme,
        target="{0} + {1}",
        people=(mentor, mentee),
        before={"status": "paused", "paused by": before},
        after={"status": "active"},
    )
    return [
        Message(
            text=f"{mentor.label} and {mentee.label} can carry on in {programme.name}. I've told "
            "them both; their next agenda comes on the usual rhythm.",
            kind=Kind.PAIR_RESUMED,
        )
    ]
