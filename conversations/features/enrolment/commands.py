"""What participants do for themselves: join, see where they are, pause, leave."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conversations import arguments as arg
from conversations import cards, codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.conduct import conduct
from conversations.features.enrolment import blocking, standing
from conversations.features.enrolment import cards as join_cards
from conversations.features.enrolment.enrolment import enrol, refuse_other_side
from conversations.features.matching import eligibility
from conversations.features.matching.eligibility import conduct_accepted
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import choosing, journeys
from conversations.features.programmes import commands as programmes
from conversations.kinds import Kind
from conversations.messages import Card, CardField, Message, Section
from conversations.profiles import PROFILE_FLAGS, parse_profile, side
from conversations.registry import action, form, home, verb
from storage import repositories as repo
from storage.models import (
    EndReason,
    Enrolment,
    EnrolmentStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
    ProgrammeStatus,
    Side,
)


async def join_with(ctx: Context, programme_key: str, values: dict[str, str]) -> Reply:
    programme = await ctx.programme(programme_key)
    chosen = side(values.get("side", ""))
    profile = parse_profile(values)
    enrolment, fresh = await enrol(
        ctx,
        programme=programme,
        person=ctx.actor,
        side=chosen,
        profile=profile,
        by_coordinator=False,
    )
    if not fresh:
        said = Message(
            text=f"You're already in {programme.name} as a {chosen}; I've updated your profile.",
            kind=Kind.JOINED,
        )
    else:
        said = Message(
            text=f"Welcome to {programme.name}. You've joined as a {chosen}. Your coordinator will "
            "pair you with someone and I'll introduce you both, saying why you were matched.",
            kind=Kind.JOINED,
        )
    if conduct_accepted(programme, enrolment):
        return [said]
    # Nobody is matched before accepting the code, so it comes with the welcome.
    enrolments = await conduct.live_enrolments(
        ctx.session, programme_id=programme.id, person_id=ctx.actor.id
    )
    return [
        said,
        conduct.card(
            programme=programme,
            code=conduct.text_of(programme, ctx.curriculum(programme)),
            why="joined",
            enrolment=enrolments[0],
            reader=ctx.actor,
        ),
    ]


@action("join")
async def submit_join(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    return await join_with(ctx, value, values)


@action("join.start")
async def press_join(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    """A Join button on an announcement: the profile form, with the side already chosen."""
    chosen = codec.JoinStart.decode(value)
    programme = await ctx.programme(chosen.programme_key)
    if programme.status not in repo.RUNNING_PROGRAMMES:
        raise UserError(f"{programme.name} isn't open for enrolment right now.")
    await refuse_other_side(
        ctx, programme=programme, person=ctx.actor, side=side(chosen.side), by_coordinator=False
    )
    return [
        join_cards.join_form(
            programme=programme,
            curriculum=ctx.curriculum(programme),
            person=ctx.actor,
            side=chosen.side,
        )
    ]


SIDE = arg.choice(
    "side",
    "mentor",
    "mentee",
    optional=True,
    aliases={"mentors": "mentor", "mentees": "mentee", "protege": "mentee", "protégé": "mentee"},
    problem="'{word}' isn't a role here: choose mentor or mentee.",
)
"""Which side someone joins on (``enroll`` takes it too, required)."""
PROFILE_OPTIONS = (
    arg.flag(arg.text("department", label='"IT"')),
    arg.flag(arg.text("title", label='"Analyst"')),
    arg.flag(
        arg.number(
            "seniority",
            low=0,
            high=10,
            label="0-10",
            problem="seniority must be a whole number from 0 to 10.",
        )
    ),
    arg.flag(arg.text("skills", label='"a, b"')),
    arg.flag(arg.text("interests", label='"c, d"')),
    arg.flag(arg.text("goals", label='"..."')),
    arg.flag(
        arg.number(
            "capacity",
            low=1,
            high=20,
            label="N",
            problem="capacity must be a whole number from 1 to 20.",
        )
    ),
    arg.flag(arg.text("timezone", label="Area/City")),
    arg.flag(arg.text("languages", label='"en, fr"')),
    arg.flag(arg.text("availability", label='"..."')),
)
"""The profile a participant gives with ``join`` (and a coordinator with ``enroll``); the
same fields as the join form, checked by ``parse_profile`` the same way."""


def profile_values(args: Args) -> dict[str, str]:
    """The profile options given, as the join form would give them."""
    return {name: str(value) for name, value in args.options.items() if name in PROFILE_FLAGS}


@verb(
    "join",
    summary="join a programme as a mentor or mentee",
    arguments=(arg.programme(), SIDE),
    options=PROFILE_OPTIONS,
)
async def join(ctx: Context, args: Args) -> Reply:
    if args.side is None:
        chosen = await ctx.programme(args.program)
        if chosen.status not in repo.RUNNING_PROGRAMMES:
            raise UserError(f"{chosen.name} isn't open for enrolment yet.")
        return [
            join_cards.join_form(
                programme=chosen, curriculum=ctx.curriculum(chosen), person=ctx.actor
            )
        ]
    return await join_with(ctx, args.program, {**profile_values(args), "side": args.side})


async def _optional_programme(ctx: Context, key: str | None) -> Programme | None:
    return await ctx.programme(key) if key is not None else None


def _pair_line(ctx: Context, pair: Pair) -> CardField:
    curriculum = ctx.library.get(pair.programme.curriculum_key)
    total = len(curriculum.sessions) if curriculum else 0
    other = pair.other(ctx.actor.id)
    role = "mentee" if pair.mentor_id == ctx.actor.id else "mentor"
    if pair.status == PairStatus.PAUSED:
        where = "paused"
    elif curriculum and pair.session_index < total:
        started = pair.session_started_at or pair.created_at
        due = cards.local_date(
            started + timedelta(days=pair.programme.cadence_days), ctx.actor.timezone
        )
        when = f"next by {due}"
        if pair.session_due_at is None and pair.next_agenda_at is not None:
            # It fell due with nothing logged: open for its grace period, then it passes.
            until = cards.local_date(pair.next_agenda_at, ctx.actor.timezone)
            when = f"was due {due}; did you meet? It stays open until {until}"
        where = (
            f"session {pair.session_index + 1} of {total}: "
            f"{curriculum.sessions[pair.session_index].title} ({when})"
        )
    else:
        where = "finished"
    return CardField(label=f"{pair.programme.name}, with {other.label} ({role})", value=where)


def _waiting(programme: Programme, enrolment: Enrolment, person: Person, *, again: bool) -> str:
    """What an unpaired enrolment waits for, in the participant's words."""
    held = eligibility.hold(programme, enrolment, person)
    if held == "conduct":
        return f"waiting for you to accept the code of conduct (type conduct {programme.key})"
    if held == "guardian":
        return "waiting for a guardian's consent to be recorded before you're paired"
    return "waiting to be paired again" if again else "waiting to be paired"


async def _last_ended(ctx: Context, enrolment: Enrolment) -> Pair | None:
    """The pairing on this enrolment's side that ended most recently, if any."""
    side_column = Pair.mentor_id if enrolment.side == Side.MENTOR else Pair.mentee_id
    found = await ctx.session.scalars(
        select(Pair)
        .where(
            Pair.programme_id == enrolment.programme_id,
            side_column == enrolment.person_id,
            Pair.status == PairStatus.ENDED,
        )
        .order_by(Pair.ended_at.desc(), Pair.id.desc())
        .limit(1)
    )
    return found.unique().first()


async def _standing(ctx: Context, programme: Programme, enrolment: Enrolment, waits: bool) -> str:
    """Where an enrolment with no pair under way stands, in the participant's words;
    whether it ``waits`` comes from the one definition (``standing.waiting``)."""
    ended = await _last_ended(ctx, enrolment)
    partner = ended.other(ctx.actor.id).label if ended is not None else None
    if waits:
        state = _waiting(programme, enrolment, ctx.actor, again=ended is not None)
        return f"your pairing with {partner} ended; {state}" if partner else state
    done = ended is not None and ended.end_reason == EndReason.COMPLETED
    finished = f"finished: you and {partner} completed the programme" if done else ""
    if programme.status == ProgrammeStatus.CLOSED:
        if finished:
            return f"{finished}, which has now closed"
        if ended is not None and ended.end_reason == EndReason.PROGRAMME_CLOSED:
            return f"the programme has closed, ending your pairing with {partner}"
        return "the programme has closed"
    if enrolment.status == EnrolmentStatus.PAUSED:
        return "paused"
    return finished or "not paired right now"


@verb(
    "status",
    summary="where you are; coordinators see programme health",
    arguments=(arg.programme(optional=True),),
)
async def status(ctx: Context, args: Args) -> Reply:
    return await status_of(ctx, args.program)


async def status_of(ctx: Context, key: str | None) -> Reply:
    """Where this person is (in the programme called ``key``, or in all of them)."""
    programme = await _optional_programme(ctx, key)
    replies: list[Message] = []
    if programme is not None and ctx.is_coordinator:
        replies.append(await programmes.summary(ctx, programme))
    pairs = await repo.live_pairs_of(
        ctx.session, person_id=ctx.actor.id, programme_id=programme.id if programme else None
    )
    fields = [_pair_line(ctx, pair) for pair in pairs]
    paired = {
        (p.programme_id, "mentor" if p.mentor_id == ctx.actor.id else "mentee") for p in pairs
    }
    waits = set(
        await ctx.session.scalars(
            select(Enrolment.id).where(Enrolment.person_id == ctx.actor.id, standing.waiting())
        )
    )
    for enrolment in await repo.enrolments_of(ctx.session, person_id=ctx.actor.id):
        if programme is not None and enrolment.programme_id != programme.id:
            continue
        if (enrolment.programme_id, enrolment.side) in paired:
            continue
        owner = await ctx.session.get(Programme, enrolment.programme_id)
        if owner is None:
            continue
        state = await _standing(ctx, owner, enrolment, enrolment.id in waits)
        fields.append(CardField(label=f"{owner.name} ({enrolment.side})", value=state))
    if fields:
        text = "\n".join(f"• {f.label}: {f.value}" for f in fields)
        replies.append(
            Message(
                text=text,
                kind=Kind.STATUS,
                card=Card(header="Your mentoring", sections=(Section(fields=tuple(fields)),)),
            )
        )
    elif programme is None and ctx.is_coordinator:
        for each in await repo.programmes(ctx.session, workspace_id=ctx.workspace.id):
            replies.append(await programmes.summary(ctx, each))
    if not replies:
        replies.append(
            Message(
                text="You're not in a programme yet. Type programs to see what's "
                "on offer, then join <program>.",
                kind=Kind.STATUS,
            )
        )
    return replies


@home(order=10)
async def home_status(ctx: Context) -> list[Message]:
    """Where they are (without the programme health a coordinator's status adds), then the
    agenda of each pair they are in, with its buttons."""
    shown = [m for m in await status_of(ctx, None) if m.kind != Kind.PROGRAMME_STATUS]
    for pair in await repo.live_pairs_of(ctx.session, person_id=ctx.actor.id):
        shown.append(agenda_card(ctx, pair))
    return shown


@verb(
    "agenda",
    summary="show your current session's agenda",
    arguments=(choosing.PARTNER, arg.programme(optional=True)),
)
async def show_agenda(ctx: Context, args: Args) -> Reply:
    return [agenda_card(ctx, await choosing.one_pair(ctx, args, verb="agenda"))]


def agenda_card(ctx: Context, pair: Pair) -> Message:
    """The pair's current agenda, or its closing once the last session is behind it."""
    curriculum = ctx.curriculum(pair.programme)
    if pair.session_index >= len(curriculum.sessions):
        return pair_cards.closing(pair=pair, programme=pair.programme, curriculum=curriculum)
    started = pair.session_started_at or pair.created_at
    return pair_cards.agenda(
        pair=pair,
        programme=pair.programme,
        curriculum=curriculum,
        previous_logged=True,
        due=started + timedelta(days=pair.programme.cadence_days),
    )


def _with(pair: Pair, person: Person) -> str:
    return f"{pair.other(person.id).label} in {pair.programme.name}"


def _your_pairings(ctx: Context, pairs: list[Pair], state: str) -> str:
    """``Your pairing with Ben in Buddies is paused``, or several pairings."""
    if len(pairs) == 1:
        return f"Your pairing with {_with(pairs[0], ctx.actor)} is {state}"
    return f"Your pairings with {choosing.partners(pairs, ctx.actor)} are {state}"


def _told(ctx: Context, pairs: list[Pair], how: str) -> str:
    """``Ben has been told``, ``Ben and Cleo have been told`` (``how`` after a comma)."""
    told = choosing.names([p.other(ctx.actor.id).label for p in pairs])
    have = "has" if len(pairs) == 1 else "have"
    return f"{told} {have} been told{',' + how if how else ''}."


@verb(
    "pause",
    summary="take a break (@partner: pause just that pairing); your partner is told kindly",
    arguments=(choosing.PARTNER, arg.programme(optional=True)),
)
async def pause(ctx: Context, args: Args) -> Reply:
    if args.partner is not None:
        pair = await choosing.one_pair(ctx, args, verb="pause")
        if not await journeys.pause_pair(ctx.session, person=ctx.actor, pair=pair, now=ctx.now):
            raise UserError(f"Your pairing with {_with(pair, ctx.actor)} is already paused.")
        other = pair.other(ctx.actor.id).label
        return [
            Message(
                text=f"Paused your pairing with {_with(pair, ctx.actor)}. No agendas or "
                f"nudges for it until you type resume @{other}. {other} has been told, "
                "without any reason given.",
                kind=Kind.PAUSED,
            )
        ]
    programme = await _optional_programme(ctx, args.program)
    changed = await journeys.set_paused(
        ctx.session, person=ctx.actor, programme=programme, paused=True, now=ctx.now
    )
    if not changed and not await repo.enrolments_of(ctx.session, person_id=ctx.actor.id):
        raise UserError("You're not in a programme, so there's nothing to pause.")
    said = "Paused. No agendas or nudges until you type resume."
    if changed:
        said += f" {_your_pairings(ctx, changed, 'paused')}; " + _told(
            ctx, changed, " without any reason given"
        )
    return [Message(text=said, kind=Kind.PAUSED)]


@verb(
    "resume",
    summary="pick up again after a pause (@partner: just that pairing)",
    arguments=(choosing.PARTNER, arg.programme(optional=True)),
)
async def resume(ctx: Context, args: Args) -> Reply:
    if args.partner is not None:
        pair = await choosing.one_pair(ctx, args, verb="resume")
        held = journeys.held(pair, ctx.now)
        if held is not None:
            raise UserError(f"Your pairing with {_with(pair, ctx.actor)} {held}.")
        if not await journeys.resume_pair(ctx.session, person=ctx.actor, pair=pair, now=ctx.now):
            raise UserError(f"Your pairing with {_with(pair, ctx.actor)} isn't paused.")
        other = pair.other(ctx.actor.id).label
        return [
            Message(
                text=f"Welcome back to your pairing with {_with(pair, ctx.actor)}. I'll send "
                f"your next agenda on the usual rhythm; {other} has been told.",
                kind=Kind.RESUMED,
            )
        ]
    programme = await _optional_programme(ctx, args.program)
    changed = await journeys.set_paused(
        ctx.session, person=ctx.actor, programme=programme, paused=False, now=ctx.now
    )
    if not changed and not await repo.enrolments_of(ctx.session, person_id=ctx.actor.id):
        raise UserError("You're not in a programme, so there's nothing to resume.")
    said = "Welcome back. I'll send your next agenda on the usual rhythm."
    if changed:
        said += f" {_your_pairings(ctx, changed, 'going again')}; " + _told(ctx, changed, "")
    for pair in await repo.live_pairs_of(
        ctx.session, person_id=ctx.actor.id, programme_id=programme.id if programme else None
    ):
        held = journeys.held(pair, ctx.now)
        if held is not None:
            said += f" Your pairing with {_with(pair, ctx.actor)} {held}."
    return [Message(text=said, kind=Kind.RESUMED)]


async def _block(ctx: Context, other: Person) -> blocking.Blocked:
    """Block someone for the person speaking, and audit it where coordinators will look."""
    done = await blocking.block(ctx.session, blocker=ctx.actor, other=other, now=ctx.now)
    if done.ended:
        for pair in done.ended:
            await ctx.audit(
                "block",
                programme=pair.programme,
                target="{0}",
                people=(other,),
                after={"pairing ended": True},
            )
    elif done.new:
        await ctx.audit("block", target="{0}", people=(other,), after={"pairing ended": False})
    return done


def _blocked_sentence(other: Person, done: blocking.Blocked) -> str:
    said = f"You won't be paired with {other.label} again, in any programme."
    if done.ended:
        names = ", ".join(sorted({pair.programme.name for pair in done.ended}))
        said += (
            f" Your pairing in {names} has ended; {other.label} is told only that it has "
            "ended, never that you blocked them."
        )
    else:
        said += f" {other.label} isn't told."
    return said


@verb(
    "block",
    summary="never be paired with someone again; ends any pairing with them",
    arguments=(arg.person(),),
)
async def block(ctx: Context, args: Args) -> Reply:
    other = await ctx.person(args.person)
    if other.id == ctx.actor.id:
        raise UserError("You can't block yourself.")
    done = await _block(ctx, other)
    said = _blocked_sentence(other, done)
    if not done.new and not done.ended:
        said = f"You've already blocked {other.label}. " + said
    return [
        Message(
            text=f"{said} If something happened that worries you, please tell your "
            "programme coordinator.",
            kind=Kind.BLOCKED,
        )
    ]


@verb(
    "leave",
    summary="step out of a programme, or (@partner) end just that pairing, no reason needed "
    "(--block: never be paired with that partner again)",
    arguments=(choosing.PARTNER, arg.programme(optional=True)),
    options=(arg.switch("block"),),
)
async def leave(ctx: Context, args: Args) -> Reply:
    if args.partner is not None:
        return await _leave_pair(ctx, args)
    if args.program is None:
        raise await _which_to_leave(ctx)
    programme = await ctx.programme(args.program)
    enrolments = [
        e
        for e in await repo.enrolments_of(ctx.session, person_id=ctx.actor.id)
        if e.programme_id == programme.id
    ]
    if not enrolments:
        raise UserError(f"You're not in {programme.name}, so there's nothing to leave.")
    blocked = ""
    if args.block:
        partners = {
            pair.other(ctx.actor.id).id: pair.other(ctx.actor.id)
            for pair in await repo.live_pairs_of(
                ctx.session, person_id=ctx.actor.id, programme_id=programme.id
            )
        }
        # Blocking first ends the pairing with the block's wording, so the partner
        # hears only that it ended, not that anyone left it.
        for other in partners.values():
            blocked += " " + _blocked_sentence(other, await _block(ctx, other))
        if not partners:
            blocked = (
                f" You had no partner in {programme.name}, so nobody was blocked; to block "
                "someone, type block @person."
            )
    await journeys.leave(ctx.session, person=ctx.actor, programme=programme, now=ctx.now)
    return [
        Message(
            text=f"You've left {programme.name}. Thank you for the time you gave it. "
            f"No reason is needed, and you're welcome back any time.{blocked}",
            kind=Kind.LEFT,
        )
    ]


async def _leave_pair(ctx: Context, args: Args) -> Reply:
    """``leave @partner``: end that one pairing; the enrolment stays while other pairs
    in that programme do."""
    pair = await choosing.one_pair(ctx, args, verb="leave")
    other, programme = pair.other(ctx.actor.id), pair.programme
    if args.block:
        # Blocking first ends the pairing with the block's wording, so the partner
        # hears only that it ended, not that anyone left it.
        said = _blocked_sentence(other, await _block(ctx, other))
    else:
        said = (
            f"Your pairing with {other.label} in {programme.name} has ended. Thank you for "
            "the time you gave it; no reason is needed."
        )
    staying = await journeys.leave_pair(ctx.session, person=ctx.actor, pair=pair, now=ctx.now)
    if staying:
        said += (
            f" You're still in {programme.name} with "
            f"{choosing.names([p.other(ctx.actor.id).label for p in staying])}."
        )
    else:
        said += (
            f" It was your only pairing in {programme.name}, so you've left {programme.name}; "
            "you're welcome back any time."
        )
    return [Message(text=said, kind=Kind.LEFT)]


async def _which_to_leave(ctx: Context) -> UserError:
    """``leave`` alone: say how to leave a programme or one pairing, with their own names."""
    usage = ctx.registry.verbs["leave"].usage
    enrolments = await repo.enrolments_of(ctx.session, person_id=ctx.actor.id)
    programme = await ctx.session.get(Programme, enrolments[0].programme_id) if enrolments else None
    if programme is None:
        return UserError("You're not in a programme, so there's nothing to leave.")
    said = f"Say what to leave: leave {programme.key} steps out of {programme.name}"
    pairs = await repo.live_pairs_of(ctx.session, person_id=ctx.actor.id)
    if pairs:
        other = pairs[0].other(ctx.actor.id).label
        said += f"; leave @{other} ends just your pairing with {other}"
    return UserError(said + ".", usage=usage)


@form("join")
async def join_form(ctx: Context, value: str) -> Message | None:
    programme = await ctx.programme(value)
    return join_cards.join_form(
        programme=programme, curriculum=ctx.curriculum(programme), person=ctx.actor
    )
