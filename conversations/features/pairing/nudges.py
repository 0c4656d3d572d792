"""Answers to what the scheduler sends: pulses, stall escalations, silence notices, snoozes.

Each button answers a message the bot actually sent to the person pressing it, and only
while it still applies: a pulse answers a pulse prompt to that person, a stall button a
stall notice to that coordinator, "Keep going" a still-meeting notice to that pair. The
outbox row of a delivered notice stays (emptied of its words after a while), so it is the
record of what was sent. A value that names anything else, forged or mistaken, changes
nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conversations import arguments as arg
from conversations import cards, codec, rendering
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.durations import describe
from conversations.errors import NotAllowed, UserError
from conversations.features.pairing import journeys, lifecycle, renderers
from conversations.features.pairing.holds import pair_paused, pair_still_quiet
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.outbox import Outbox
from conversations.registry import action, form, verb
from storage.models import (
    OutboxMessage,
    OutboxStatus,
    Pair,
    PairStatus,
    PauseReason,
    Prompt,
    PulseResponse,
)


async def _pair(ctx: Context, pair_id: int) -> Pair:
    pair = await ctx.session.get(Pair, pair_id)
    if pair is None or pair.programme.workspace_id != ctx.workspace.id:
        raise codec.OutOfDate
    return pair


@action("pulse")
async def submit_pulse(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    answer = codec.PulseAnswer.decode(value)
    pair = await _pair(ctx, answer.pair_id)
    if not pair.includes(ctx.actor.id):
        raise UserError("That form belongs to someone else's pairing.")
    rating = (values.get("rating") or "").strip()
    if rating not in {"1", "2", "3", "4", "5"}:
        raise UserError("Choose how it's going, from 1 (badly) to 5 (really well).")
    comment = (values.get("comment") or "").strip() or None
    if comment is not None and len(comment) > 2000:
        raise UserError("Keep the comment under 2,000 characters.")
    day = answer.day
    asked = await ctx.session.scalar(
        select(Prompt.id).where(
            Prompt.pair_id == pair.id,
            Prompt.person_id == ctx.actor.id,
            Prompt.kind == Kind.PULSE,
            Prompt.ref_index == day,
        )
    )
    if asked is None:  # a form nobody sent this person: a forged or mistaken day
        raise codec.OutOfDate
    if pair.status == PairStatus.ENDED:
        raise UserError("This pairing has ended, so there's nothing more to answer for it.")
    done = await ctx.session.scalar(
        select(PulseResponse.id).where(
            PulseResponse.pair_id == pair.id,
            PulseResponse.person_id == ctx.actor.id,
            PulseResponse.day == day,
        )
    )
    if done is not None:
        return [Message(text="You've already answered this one. Thank you.", kind=Kind.PULSE_DONE)]
    ctx.session.add(
        PulseResponse(
            pair_id=pair.id,
            person_id=ctx.actor.id,
            day=day,
            rating=int(rating),
            comment=comment,
            created_at=ctx.now,
        )
    )
    await journeys.answered(
        ctx.session,
        pair_id=pair.id,
        person_id=ctx.actor.id,
        kind=Kind.PULSE,
        ref_index=day,
        now=ctx.now,
    )
    return [
        Message(
            text="Thank you. That helps the programme team see how things are going "
            "(they see counts, never your words).",
            kind=Kind.PULSE_DONE,
        )
    ]


def _coordinator(ctx: Context) -> None:
    if not ctx.is_coordinator:
        raise NotAllowed("Only coordinators can do that.")


async def _sent(ctx: Context, pair: Pair, kind: Kind, *, to_person: bool) -> bool:
    """Whether a message of this kind about ``pair`` was delivered to the presser (or, not
    ``to_person``, to the pair they are in)."""
    addressed = (
        OutboxMessage.person_id == ctx.actor.id if to_person else OutboxMessage.person_id.is_(None)
    )
    found = await ctx.session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.pair_id == pair.id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == OutboxStatus.SENT,
            addressed,
        )
        .limit(1)
    )
    return found is not None


async def _stalled(ctx: Context, value: str) -> Pair:
    """The live pair a stall notice to this coordinator is about.

    A coordinator in the pair is refused: nobody handles their own pairing (the planner
    never sends them its stall notice, so only a forged or stale button gets here). A pair
    no stall notice was sent to this coordinator about is out of date, whatever it is.
    """
    _coordinator(ctx)
    pair = await _pair(ctx, codec.Ref.decode(value).id)
    if pair.includes(ctx.actor.id):
        raise NotAllowed("You're in this pairing, so another coordinator needs to do that.")
    if not await _sent(ctx, pair, Kind.STALL, to_person=True):
        raise codec.OutOfDate
    if pair.status not in (PairStatus.ACTIVE, PairStatus.PAUSED):
        raise UserError(f"{pair.mentor.label} and {pair.mentee.label} are no longer paired.")
    return pair


@action("stall.nudge")
async def nudge_both(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    pair = await _stalled(ctx, value)
    stamp = ctx.now.strftime("%Y%m%d")
    await Outbox(ctx.session, ctx.now).to_pair(
        pair,
        Message(
            text=f"Hello {pair.mentor.label} and {pair.mentee.label}, {ctx.actor.label} from the "
            f"programme team here. It's been a little while since you logged a meeting in "
            f"{pair.programme.name}. Could you find half an hour this week? If something's in "
            "the way, just reply and we'll sort it out together.",
            kind=Kind.COORDINATOR_NUDGE,
        ),
        key=f"pair:{pair.id}:nudged:{stamp}",
        holds=(pair_still_quiet(pair),),
    )
    await _asked_by(ctx, pair)
    await ctx.audit(
        "stall.nudge",
        programme=pair.programme,
        target="{0} + {1}",
        people=(pair.mentor, pair.mentee),
    )
    return [
        Message(
            text=f"Nudged {pair.mentor.label} and {pair.mentee.label}; they'll see it "
            "in their working hours.",
            kind=Kind.STALL_HANDLED,
        )
    ]


async def _asked_by(ctx: Context, pair: Pair) -> None:
    """Note that this coordinator asked both people something: a reply in words from either
    of them reaches whoever asked (``conversations.features.conversation``). Nudging again
    asks afresh."""
    for person_id in (pair.mentor_id, pair.mentee_id):
        asked = await ctx.session.scalar(
            select(Prompt).where(
                Prompt.pair_id == pair.id,
                Prompt.person_id == person_id,
                Prompt.kind == Kind.COORDINATOR_NUDGE,
                Prompt.ref_index == ctx.actor.id,
            )
        )
        if asked is None:
            ctx.session.add(
                Prompt(
                    pair_id=pair.id,
                    person_id=person_id,
                    kind=Kind.COORDINATOR_NUDGE,
                    ref_index=ctx.actor.id,
                    asked_at=ctx.now,
                    next_reminder_at=None,  # a person's nudge is never reminded by the bot
                )
            )
        else:
            asked.asked_at, asked.answered_at = ctx.now, None


@action("stall.pause")
async def pause_pair(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    pair = await _stalled(ctx, value)
    if pair.status == PairStatus.PAUSED:
        return [Message(text="That pair is already paused.", kind=Kind.STALL_HANDLED)]
    lifecycle.pause(pair, PauseReason.PROGRAMME_TEAM)
    outbox = Outbox(ctx.session, ctx.now)
    for person in (pair.mentor, pair.mentee):
        await outbox.to_person(
            person,
            Message(
                text=f"Your pairing with {pair.other(person.id).label} in "
                f"{pair.programme.name} has been paused by the programme team. Nothing you "
                "need to do.",
                kind=Kind.PAUSED_BY_TEAM,
            ),
            key=f"pair:{pair.id}:team-pause:{ctx.now:%Y%m%dT%H%M}:{person.id}",
            holds=(pair_paused(pair),),
            about=pair,
        )

    await ctx.audit(
        "stall.pause",
        programme=pair.programme,
        target="{0} + {1}",
        people=(pair.mentor, pair.mentee),
        before={"status": "active"},
        after={"status": "paused"},
    )
    return [
        Message(
            text=f"Paused {pair.mentor.label} and {pair.mentee.label}.", kind=Kind.STALL_HANDLED
        )
    ]


@action("stall.end")
async def end_pair(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    pair = await _stalled(ctx, value)
    await journeys.end_by_team(ctx.session, pair=pair, now=ctx.now)
    await ctx.audit(
        "stall.end",
        programme=pair.programme,
        target="{0} + {1}",
        people=(pair.mentor, pair.mentee),
        before={"status": "active"},
        after={"status": "ended"},
    )
    return [
        Message(
            text=f"Ended the pairing of {pair.mentor.label} and {pair.mentee.label}; "
            "both have been told kindly.",
            kind=Kind.STALL_HANDLED,
        )
    ]


@action("inactivity.keep")
async def keep_going(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    pair = await _pair(ctx, codec.Ref.decode(value).id)
    if not pair.includes(ctx.actor.id):
        raise UserError("That button belongs to someone else's pairing.")
    if not await _sent(ctx, pair, Kind.INACTIVITY_NOTICE, to_person=False):
        # No still-meeting notice went to this pair: pressing would quietly push back the
        # coordinators' stall notice, so a forged press must change nothing.
        raise codec.OutOfDate
    if pair.status != PairStatus.ACTIVE:
        raise UserError("This pairing isn't active. Type resume to pick it up again.")
    if pair.auto_pause_at is None:  # answered already (by either of them, or a meeting)
        return [
            Message(
                text="Your pairing is already carrying on as it is; nothing more to do.",
                kind=Kind.KEPT_GOING,
            )
        ]
    lifecycle.activity(pair, pair.programme, ctx.now)
    return [Message(text="Good to hear. I'll keep things going as they are.", kind=Kind.KEPT_GOING)]


LONGEST_SNOOZE = timedelta(days=90)
"""Longer than this is a break from the programme: ``pause`` says so to the partner."""


@verb(
    "snooze",
    summary="hold my nudges for a while (replies to what I do still come)",
    arguments=(arg.duration("span", also=("off",), aliases={"stop": "off", "none": "off"}),),
)
async def snooze(ctx: Context, args: Args) -> Reply:
    if args.span == "off":
        ctx.actor.snoozed_until = None
        return [
            Message(
                text="Snooze off: nudges will come in your working hours again.", kind=Kind.SNOOZED
            )
        ]
    span: timedelta = args.span
    if span > LONGEST_SNOOZE:
        raise UserError(
            f"Snooze for at most {describe(LONGEST_SNOOZE)}; to step back for longer, type pause."
        )
    ctx.actor.snoozed_until = ctx.now + span
    until = cards.local_date(ctx.actor.snoozed_until, ctx.actor.timezone)
    if span < timedelta(days=1):
        until = f"{cards.local_time(ctx.actor.snoozed_until, ctx.actor.timezone)} on {until}"
    return [
        Message(
            text=f"Snoozed for {describe(span)}, until {until}. I'll hold nudges and reminders "
            "until then; type snooze off to end it early.",
            kind=Kind.SNOOZED,
        )
    ]


@form("pulse")
async def pulse_form(ctx: Context, value: str) -> Message | None:
    answer = codec.PulseAnswer.decode(value)
    pair = await _pair(ctx, answer.pair_id)
    if not pair.includes(ctx.actor.id):
        raise UserError("That form belongs to someone else's pairing.")
    job = rendering.Job(
        session=ctx.session,
        row=OutboxMessage(ref_index=answer.day),
        pair=pair,
        person=ctx.actor,
        library=ctx.library,
        now=ctx.now,
    )
    return renderers.pulse_form(job, answer.day)
