"""Words that answer an open question, recorded or passed on the way the buttons would.

For one pair (see :mod:`.questions`), in this order:

1. a coordinator's nudge is open: the words go to the coordinators who asked (every
   coordinator when none of them is one any more), naming who replied and about which
   pair, and the person is thanked;
2. "did you meet?" is open and the words are an obvious yes, not yet or rescheduled: the
   meeting is logged as the buttons log it;
3. a check-in is open: the words are its private note. A rating written first ("4/5, …")
   records it at once; otherwise the words are held and the person presses 1 to 5;
4. "did you meet?" is open but the words don't say: it is asked again, with the buttons.

When several pairs are waiting to hear from someone, the words are held and they choose
the pair with a button naming their partner: nothing is guessed.
"""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import delete, select, update

from conversations import codec
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.conversation import words
from conversations.features.conversation.questions import Waiting, waiting
from conversations.features.meetings import commands as meetings
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import journeys
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.messages import Button, Card, Message, Section
from conversations.outbox import Outbox
from conversations.registry import action
from storage import repositories as repo
from storage.models import HeldReply, MeetingOutcome, Pair, Person, Prompt, Role

MAX_NOTE = 2000
"""A check-in's private note is at most this long (as in the check-in form)."""


async def answer(ctx: Context, waits: Waiting, text: str, *, held: HeldReply | None) -> Reply:
    """Act on ``text`` as the answer to what ``waits.pair`` is waiting to hear."""
    pair = waits.pair
    if waits.nudged:
        await _let_go(ctx, held)
        return await _pass_on(ctx, waits, text)
    outcome = words.meeting_answer(text)
    if waits.meeting is not None and outcome is not None:
        await _let_go(ctx, held)
        return await meetings.logged(ctx, pair, waits.meeting, outcome)
    if waits.checkin is not None:
        return await _checkin(ctx, pair, waits.checkin, text, held=held)
    await _let_go(ctx, held)
    assert waits.meeting is not None  # a pair waits for a nudge, a meeting or a check-in
    return [_ask_again(ctx, pair, waits.meeting)]


async def which_pair(ctx: Context, found: list[Waiting], text: str) -> Reply:
    """Hold the words and ask which pairing they are about, a button per pair."""
    held = await _hold(ctx, text)
    named = Counter(w.pair.other(ctx.actor.id).label for w in found)
    buttons = []
    for waits in found:
        partner = waits.pair.other(ctx.actor.id).label
        label = partner if named[partner] == 1 else f"{partner} ({waits.pair.programme.name})"
        buttons.append(
            Button(
                label=label,
                action="reply.about",
                value=codec.HeldFor(held.id, waits.pair.id).encode(),
            )
        )
    partners = repo.names([w.pair.other(ctx.actor.id) for w in found])
    text = (
        f"Which pairing is this about? Your pairings with {partners} are each waiting to "
        "hear from you. Press the one you mean and I'll take it from there."
    )
    return [
        Message(
            text=text,
            card=Card(
                header="Which pairing?", sections=(Section(text=text),), buttons=tuple(buttons)
            ),
            kind=Kind.WHICH_PAIR,
        )
    ]


# --- a coordinator's nudge ----------------------------------------------------------------


async def _pass_on(ctx: Context, waits: Waiting, text: str) -> Reply:
    pair = waits.pair
    about = f"{pair.mentor.label} and {pair.mentee.label} in {pair.programme.name}"
    quoted = f"“{text}”"
    answer = f"Write to {ctx.actor.label} directly to answer."
    askers = [p for p in await _coordinators(ctx, pair) if p.id in waits.askers]
    outbox = Outbox(ctx.session, ctx.now)
    key = f"pair:{pair.id}:reply:{ctx.actor.id}:{uuid.uuid4().hex}"
    if askers:
        message = Message(
            text=f"{ctx.actor.label} replied to your nudge to {about}:\n{quoted}\n{answer}",
            kind=Kind.PAIR_REPLY,
        )
        told = repo.names(askers)
        recipients = askers
    else:
        message = Message(
            text=f"{ctx.actor.label} replied to the programme team's nudge to {about}:\n"
            f"{quoted}\n{answer}",
            kind=Kind.PAIR_REPLY,
        )
        told = "the programme team"
        recipients = await _coordinators(ctx, pair)
    for coordinator in recipients:
        await outbox.to_person(
            coordinator,
            message,
            key=f"{key}:to:{coordinator.id}",
            holds=ALWAYS,  # it reports what someone said, which stays said
            about=pair,
        )
    await ctx.session.execute(
        update(Prompt)
        .where(
            Prompt.pair_id == pair.id,
            Prompt.person_id == ctx.actor.id,
            Prompt.kind == Kind.COORDINATOR_NUDGE,
            Prompt.answered_at.is_(None),
        )
        .values(answered_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    if not recipients:
        return [
            Message(
                text="Thanks for replying. There's nobody on the programme team I can pass it "
                "to just now; type report if something needs their attention.",
                kind=Kind.REPLY_PASSED,
            )
        ]
    said = f"Thanks, I've passed that to {told}."
    if words.meeting_answer(text) is MeetingOutcome.MET:
        said += " If you two have met, type met and I'll log it."
    return [Message(text=said, kind=Kind.REPLY_PASSED)]


async def _coordinators(ctx: Context, pair: Pair) -> list[Person]:
    """The workspace's coordinators who may read a reply about this pair: not its own
    people (nobody sees the handling of something they are part of), nobody forgotten."""
    everyone = await repo.people_with_role(
        ctx.session, workspace_id=ctx.workspace.id, role=Role.COORDINATOR
    )
    return [p for p in everyone if not pair.includes(p.id) and p.forgotten_at is None]


# --- "did you meet?" ------------------------------------------------------------------------


def _ask_again(ctx: Context, pair: Pair, session_index: int) -> Message:
    partner = pair.other(ctx.actor.id).label
    title = ctx.curriculum(pair.programme).sessions[session_index].title
    text = (
        f"I couldn't tell whether you and {partner} have met for session {session_index + 1} "
        f"({title}). Press a button, or write yes we met or not yet. Type help to see what "
        "else I can do."
    )
    return Message(
        text=text,
        card=Card(
            header="Did you meet?",
            sections=(Section(text=text),),
            buttons=pair_cards.meeting_buttons(pair, session_index),
        ),
        kind=Kind.MEETING_UNCLEAR,
    )


# --- check-ins ------------------------------------------------------------------------------


async def _checkin(
    ctx: Context, pair: Pair, session_index: int, text: str, *, held: HeldReply | None
) -> Reply:
    rated = words.rating(text)
    if rated is not None:
        rating, note = rated
        return await _record(ctx, pair, session_index, rating, note, held=held)
    if len(text) > MAX_NOTE:
        raise UserError("Keep the note under 2,000 characters.")
    held = held or await _hold(ctx, text)
    partner = pair.other(ctx.actor.id).label
    title = ctx.curriculum(pair.programme).sessions[session_index].title
    question = (
        f"Thanks. How useful was session {session_index + 1} ({title}) with {partner}, from "
        "1 to 5 (1: not useful, 5: very useful)? Press a number and I'll keep what you wrote "
        "as your private note; nobody else will ever see it."
    )
    buttons = tuple(
        Button(
            label=str(score),
            action="reply.rating",
            value=codec.HeldRating(held.id, pair.id, session_index, score).encode(),
        )
        for score in range(1, 6)
    )
    return [
        Message(
            text=question,
            card=Card(
                header=f"How did session {session_index + 1} go?",
                sections=(Section(text=question),),
                buttons=buttons,
            ),
            kind=Kind.CHECKIN_RATING,
        )
    ]


async def _record(
    ctx: Context,
    pair: Pair,
    session_index: int,
    rating: int,
    note: str,
    *,
    held: HeldReply | None,
) -> Reply:
    if len(note) > MAX_NOTE:
        raise UserError("Keep the note under 2,000 characters.")
    await _let_go(ctx, held)
    said = await journeys.record_checkin(
        ctx.session,
        pair=pair,
        person=ctx.actor,
        session_index=session_index,
        rating=rating,
        reflection=note or None,
        now=ctx.now,
    )
    return [Message(text=said, kind=Kind.CHECKED_IN)]


# --- held words and their buttons ------------------------------------------------------------


async def _hold(ctx: Context, text: str) -> HeldReply:
    held = HeldReply(
        workspace_id=ctx.workspace.id, person_id=ctx.actor.id, text=text, created_at=ctx.now
    )
    ctx.session.add(held)
    await ctx.session.flush()
    return held


async def _let_go(ctx: Context, held: HeldReply | None) -> None:
    if held is not None:
        await ctx.session.execute(delete(HeldReply).where(HeldReply.id == held.id))


async def _held(ctx: Context, held_id: int, pair_id: int) -> tuple[HeldReply, Pair]:
    """The words this person wrote and the pair a button names: both theirs, or the button
    is out of date (the words were already used, or forgotten)."""
    held = await ctx.session.scalar(
        select(HeldReply).where(HeldReply.id == held_id, HeldReply.person_id == ctx.actor.id)
    )
    pair = await ctx.session.get(Pair, pair_id)
    if (
        held is None
        or pair is None
        or not pair.includes(ctx.actor.id)
        or pair.programme.workspace_id != ctx.workspace.id
    ):
        raise codec.OutOfDate
    return held, pair


@action("reply.about")
async def press_which_pair(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    """The person chose which pairing their words are about."""
    chosen = codec.HeldFor.decode(value)
    held, pair = await _held(ctx, chosen.held_id, chosen.pair_id)
    found = await waiting(ctx.session, person=ctx.actor, now=ctx.now, pair_id=pair.id)
    if not found:
        await _let_go(ctx, held)
        return [
            Message(
                text=f"Your pairing with {pair.other(ctx.actor.id).label} isn't waiting to "
                "hear from you any more, so I've let that go. If it still matters, write it "
                "again.",
                kind=Kind.REPLY_PASSED,
            )
        ]
    return await answer(ctx, found[0], held.text, held=held)


@action("reply.rating")
async def press_rating(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    """The person rated the check-in their words are the note of."""
    chosen = codec.HeldRating.decode(value)
    held, pair = await _held(ctx, chosen.held_id, chosen.pair_id)
    return await _record(ctx, pair, chosen.session, chosen.rating, held.text, held=held)
