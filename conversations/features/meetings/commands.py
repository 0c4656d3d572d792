"""Logging meetings and checking in, by command or by button."""

from __future__ import annotations

from sqlalchemy import select

from conversations import arguments as arg
from conversations import codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import choosing, journeys
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import action, form, verb
from storage import repositories as repo
from storage.models import MeetingOutcome, Pair, PairStatus

OUTCOMES = {
    "yes": MeetingOutcome.MET,
    "met": MeetingOutcome.MET,
    "not-yet": MeetingOutcome.NOT_YET,
    "not_yet": MeetingOutcome.NOT_YET,
    "notyet": MeetingOutcome.NOT_YET,
    "no": MeetingOutcome.NOT_YET,
    "rescheduled": MeetingOutcome.RESCHEDULED,
    "skipped": MeetingOutcome.SKIPPED,
    "skip": MeetingOutcome.SKIPPED,
}


@verb(
    "met",
    summary="tell me whether you met for this session (or skipped it)",
    arguments=(
        arg.choice(
            "answer",
            "yes",
            "not-yet",
            "rescheduled",
            "skipped",
            optional=True,
            aliases={word: word for word in OUTCOMES},
            default="yes",
        ),
        choosing.PARTNER,
        arg.programme(optional=True),
    ),
)
async def met(ctx: Context, args: Args) -> Reply:
    outcome = OUTCOMES[args.answer]
    pair = await choosing.one_pair(ctx, args, verb="met")
    return await logged(ctx, pair, pair.session_index, outcome)


async def logged(ctx: Context, pair: Pair, session_index: int, outcome: MeetingOutcome) -> Reply:
    """Log what the person said happened for one session (a command, a button, words in
    reply to the question) and say it back."""
    said = await journeys.log_meeting(
        ctx.session,
        pair=pair,
        actor=ctx.actor,
        session_index=session_index,
        outcome=outcome,
        curriculum=ctx.curriculum(pair.programme),
        now=ctx.now,
    )
    return [Message(text=said, kind=Kind.MEETING_LOGGED)]


async def pair_of(ctx: Context, pair_id: int) -> Pair:
    """The pair a button names, checked against who pressed it."""
    pair = await ctx.session.get(Pair, pair_id)
    if (
        pair is None
        or not pair.includes(ctx.actor.id)
        or (pair.programme.workspace_id != ctx.workspace.id)
    ):
        raise UserError("That button belongs to someone else's pairing.")
    return pair


@action("meeting.log")
async def press_meeting(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    answer = codec.MeetingAnswer.decode(value)
    pair = await pair_of(ctx, answer.pair_id)
    return await logged(ctx, pair, answer.session, answer.outcome)


RATE = "Rate the session with a number from 1 (not useful) to 5 (very useful)."
CHECKIN = arg.Signature(
    "checkin",
    params=(
        arg.number("rating", low=1, high=5, label="1-5", read=lambda word: _score(word)),
        choosing.PARTNER,
        arg.text(
            "note",
            label='"a private note"',
            optional=True,
            problem="Keep the note under 2,000 characters.",
        ),
        arg.programme(optional=True),
    ),
)
"""What ``checkin`` takes; the check-in form's refusals quote its usage too."""


def _score(text: str) -> int:
    """A rating of 1 to 5, also written as a score (``4/5``)."""
    cleaned = text.strip().split("/")[0].strip()
    if cleaned not in {"1", "2", "3", "4", "5"}:
        raise ValueError(RATE)
    return int(cleaned)


def _rating(text: str) -> int:
    try:
        return _score(text)
    except ValueError:
        raise UserError(RATE, usage=CHECKIN.usage) from None


@verb(
    "checkin",
    summary="rate your last session; the note stays private",
    arguments=CHECKIN.params,
)
async def checkin(ctx: Context, args: Args) -> Reply:
    note, key = args.note, args.program
    if key is None and note is not None and await _is_programme(ctx, note):
        note, key = None, note  # one word after the rating: a programme's key, when it is one
    pair = await _checkin_pair(ctx, args, key)
    said = await journeys.record_checkin(
        ctx.session,
        pair=pair,
        person=ctx.actor,
        session_index=None,
        rating=args.rating,
        reflection=note,
        now=ctx.now,
    )
    return [Message(text=said, kind=Kind.CHECKED_IN)]


async def _is_programme(ctx: Context, word: str) -> bool:
    return (
        await repo.programme_by_key(ctx.session, workspace_id=ctx.workspace.id, key=word.lower())
        is not None
    )


async def _checkin_pair(ctx: Context, args: Args, key: str | None) -> Pair:
    """The live pair the check-in is about or, with none (with that partner), the pair
    they most recently completed: the closing session is checked in after it ends."""
    try:
        return await choosing.one_pair(ctx, args, verb="checkin", program=key)
    except choosing.NoPair:
        query = select(Pair).where(
            (Pair.mentor_id == ctx.actor.id) | (Pair.mentee_id == ctx.actor.id),
            Pair.status == PairStatus.ENDED,
            Pair.end_reason == "completed",
        )
        if args.partner is not None:
            partner = await ctx.person(args.partner)
            if partner.id == ctx.actor.id:
                raise
            query = query.where((Pair.mentor_id == partner.id) | (Pair.mentee_id == partner.id))
        if key is not None:
            query = query.where(Pair.programme_id == (await ctx.programme(key)).id)
        recent = await ctx.session.scalars(query.order_by(Pair.ended_at.desc()).limit(1))
        found = recent.unique().first()
        if found is None:
            raise
        return found


@action("checkin")
async def submit_checkin(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    ref = codec.SessionRef.decode(value)
    pair = await pair_of(ctx, ref.pair_id)
    rating = _rating(values.get("rating", ""))
    note = values.get("reflection")
    if note is not None and len(note) > 2000:
        raise UserError("Keep the note under 2,000 characters.")
    quote = values.get("quote")
    if quote is not None and len(quote) > 300:
        raise UserError("Keep the line to share under 300 characters.")
    said = await journeys.record_checkin(
        ctx.session,
        pair=pair,
        person=ctx.actor,
        session_index=ref.session,
        rating=rating,
        reflection=note,
        now=ctx.now,
        quote=quote,
    )
    return [Message(text=said, kind=Kind.CHECKED_IN)]


@form("checkin")
async def checkin_form(ctx: Context, value: str) -> Message | None:
    ref = codec.SessionRef.decode(value)
    pair = await pair_of(ctx, ref.pair_id)
    curriculum = ctx.curriculum(pair.programme)
    if not ref.session < len(curriculum.sessions):
        raise codec.OutOfDate
    return pair_cards.checkin_form(
        pair=pair,
        person=ctx.actor,
        curriculum=curriculum,
        session_index=ref.session,
        programme=pair.programme,
    )
