"""Logging meetings and checking in, by command or by button."""

from __future__ import annotations

from sqlalchemy import select

from conversations import codec
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.enrolment.commands import single_pair
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import journeys
from conversations.grammar import Args
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
}


def _outcome(word: str) -> MeetingOutcome:
    try:
        return OUTCOMES[word.lower()]
    except KeyError:
        raise UserError(
            f"'{word}' isn't an answer I know: use yes, not-yet or rescheduled.",
            usage="met [yes|not-yet|rescheduled] [program]",
        ) from None


@verb(
    "met",
    usage="met [yes|not-yet|rescheduled] [program]",
    summary="tell me whether you met for this session",
    max_words=2,
)
async def met(ctx: Context, args: Args) -> Reply:
    words = list(args.words)
    outcome = MeetingOutcome.MET
    if words and words[0].lower() in OUTCOMES:
        outcome = _outcome(words.pop(0))
    pair = await single_pair(ctx, Args(words=words))
    said = await journeys.log_meeting(
        ctx.session,
        pair=pair,
        actor=ctx.actor,
        session_index=pair.session_index,
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
    said = await journeys.log_meeting(
        ctx.session,
        pair=pair,
        actor=ctx.actor,
        session_index=answer.session,
        outcome=answer.outcome,
        curriculum=ctx.curriculum(pair.programme),
        now=ctx.now,
    )
    return [Message(text=said, kind=Kind.MEETING_LOGGED)]


def _rating(text: str) -> int:
    cleaned = text.strip().split("/")[0].strip()
    if cleaned not in {"1", "2", "3", "4", "5"}:
        raise UserError(
            "Rate the session with a number from 1 (not useful) to 5 (very useful).",
            usage='checkin <1-5> ["a private note"] [program]',
        )
    return int(cleaned)


@verb(
    "checkin",
    usage='checkin <1-5> ["a private note"] [program]',
    summary="rate your last session; the note stays private",
    min_words=1,
    max_words=3,
)
async def checkin(ctx: Context, args: Args) -> Reply:
    rating = _rating(args.words[0])
    rest = args.words[1:]
    programme_word: list[str] = []
    if len(rest) == 2 or (len(rest) == 1 and await _is_programme(ctx, rest[0])):
        programme_word = [rest.pop()]
    note = rest[0] if rest else None
    if note is not None and len(note) > 2000:
        raise UserError("Keep the note under 2,000 characters.")
    pair = await _checkin_pair(ctx, programme_word)
    said = await journeys.record_checkin(
        ctx.session,
        pair=pair,
        person=ctx.actor,
        session_index=None,
        rating=rating,
        reflection=note,
        now=ctx.now,
    )
    return [Message(text=said, kind=Kind.CHECKED_IN)]


async def _is_programme(ctx: Context, word: str) -> bool:
    return (
        await repo.programme_by_key(ctx.session, workspace_id=ctx.workspace.id, key=word.lower())
        is not None
    )


async def _checkin_pair(ctx: Context, programme_word: list[str]) -> Pair:
    try:
        return await single_pair(ctx, Args(words=programme_word))
    except UserError:
        recent = await ctx.session.scalars(
            select(Pair)
            .where(
                (Pair.mentor_id == ctx.actor.id) | (Pair.mentee_id == ctx.actor.id),
                Pair.status == PairStatus.ENDED,
                Pair.end_reason == "completed",
            )
            .order_by(Pair.ended_at.desc())
            .limit(1)
        )
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
