"""Coordinators enrol people and pair them by hand."""

from __future__ import annotations

from dataclasses import replace

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.counting import counted
from conversations.errors import UserError
from conversations.features.conduct import conduct
from conversations.features.enrolment.commands import PROFILE_OPTIONS, SIDE, profile_values
from conversations.features.enrolment.enrolment import enrol
from conversations.features.matching import eligibility
from conversations.features.pairing import journeys
from conversations.features.programmes.commands import COORDINATING
from conversations.grammar import MAX_COMMAND_LENGTH
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.profiles import parse_profile
from conversations.registry import verb
from storage import repositories as repo
from storage.models import Enrolment, EnrolmentStatus, Person, Programme, Role, Side


@verb(
    "enroll",
    summary="enrol someone in a programme",
    role=Role.COORDINATOR,
    arguments=(arg.person(), arg.programme(), replace(SIDE, optional=False)),
    options=(*PROFILE_OPTIONS, arg.flag(arg.person("manager"), label="@person")),
    group=COORDINATING,
)
async def enroll(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    chosen = Side(args.side)
    person = await ctx.person(args.person)
    if args.manager is not None:
        manager = await ctx.person(args.manager)
        if manager.id == person.id:
            raise UserError("Nobody can be their own manager.")
        person.manager_id = manager.id
    _, fresh = await enrol(
        ctx,
        programme=programme,
        person=person,
        side=chosen,
        profile=parse_profile(profile_values(args)),
        by_coordinator=True,
    )
    verb_done = "Enrolled" if fresh else "Updated"
    return [
        Message(
            text=f"{verb_done} {person.label} in {programme.name} as a {chosen}.",
            kind=Kind.ENROLLED,
        )
    ]


def _names(people: list[Person]) -> str:
    labels = [p.label for p in people]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


async def _refusal(
    ctx: Context,
    programme: Programme,
    mentor: Person,
    mentee: Person,
    enrolments: dict[Side, Enrolment],
) -> Message | None:
    """Why these two can't be paired now (``eligibility``), or None if they can.

    Anything but a missing acceptance of the code of conduct is refused outright,
    changing nothing. A missing acceptance is something the person can fix at
    once, so the code goes to them again, and that resend is kept: the refusal is
    returned as a reply rather than raised, which would roll it back.
    """
    found = await eligibility.problems(
        ctx.session,
        programme=programme,
        mentor=mentor,
        mentee=mentee,
        mentor_enrolment=enrolments[Side.MENTOR],
        mentee_enrolment=enrolments[Side.MENTEE],
        now=ctx.now,
    )
    if not found:
        return None
    unaccepted = [p.person for p in found if p.kind == "conduct" and p.person is not None]
    others = [p.text for p in found if p.kind != "conduct"]
    if not unaccepted:
        raise UserError(
            f"I can't pair {mentor.label} with {mentee.label}: " + "; ".join(others) + "."
        )
    curriculum = ctx.curriculum(programme)
    for person in unaccepted:
        await conduct.send(
            ctx.session,
            programme=programme,
            curriculum=curriculum,
            person=person,
            enrolment=enrolments[Side.MENTOR if person.id == mentor.id else Side.MENTEE],
            why="reminder",
            now=ctx.now,
            again=True,
        )
    has = "hasn't" if len(unaccepted) == 1 else "haven't"
    them = "them" if len(unaccepted) == 1 else "each of them"
    text = f"{_names(unaccepted)} {has} accepted the code of conduct yet; "
    unreachable = [p for p in unaccepted if conduct.is_placeholder(p)]
    if unreachable:
        text += f"I'll show it to {_names(unreachable)} when they first message me" + (
            ", and I've sent it to the others again." if len(unreachable) < len(unaccepted) else "."
        )
    else:
        text += f"I've sent it to {them} again."
    if others:
        text += " Also: " + "; ".join(others) + "."
    return Message(text=text, kind=Kind.PAIR_REFUSED)


@verb(
    "pair",
    summary="pair two people and introduce them",
    role=Role.COORDINATOR,
    arguments=(arg.person("mentor"), arg.person("mentee"), arg.programme()),
    options=(
        arg.flag(arg.text("why", label='"what they have in common"', longest=MAX_COMMAND_LENGTH)),
    ),
    group=COORDINATING,
)
async def pair(ctx: Context, args: Args) -> Reply:
    mentor_word, mentee_word = args.mentor, args.mentee
    programme = await ctx.programme(args.program)
    if programme.status not in repo.RUNNING_PROGRAMMES:
        raise UserError(
            f"{programme.name} is {programme.status}; open or launch it before pairing people."
        )
    curriculum = ctx.curriculum(programme)
    mentor = await ctx.person(mentor_word)
    mentee = await ctx.person(mentee_word)
    if mentor.id == mentee.id:
        raise UserError("A person can't be paired with themselves.")
    enrolments: dict[Side, Enrolment] = {}
    for person, role in ((mentor, Side.MENTOR), (mentee, Side.MENTEE)):
        enrolment = await repo.enrolment(
            ctx.session, programme_id=programme.id, person_id=person.id, side=role
        )
        if enrolment is None or enrolment.status != EnrolmentStatus.ACTIVE:
            state = "isn't enrolled" if enrolment is None else f"is {enrolment.status}"
            raise UserError(
                f"{person.label} {state} in {programme.name} as a {role}. "
                f"Enrol them first: enroll @{person.platform_user_id} {programme.key} {role}"
            )
        enrolments[role] = enrolment
        if role == Side.MENTOR:
            taken = await repo.count_live_mentees(
                ctx.session, programme_id=programme.id, mentor_id=person.id
            )
            if taken >= enrolment.capacity:
                raise UserError(
                    f"{person.label} already mentors {taken} of their "
                    f"{counted(enrolment.capacity, 'place')} in {programme.name}."
                )
    for existing in await repo.live_pairs_of(
        ctx.session, person_id=mentee.id, programme_id=programme.id
    ):
        if existing.mentee_id == mentee.id:
            raise UserError(
                f"{mentee.label} already has a mentor in {programme.name} "
                f"({existing.mentor.label})."
            )
    refused = await _refusal(ctx, programme, mentor, mentee, enrolments)
    if refused is not None:
        return [refused]
    note = (args.why or "").strip()[:500] or None
    created = await journeys.start_pair(
        ctx.session,
        programme=programme,
        curriculum=curriculum,
        mentor=mentor,
        mentee=mentee,
        note=note,
        created_by=ctx.actor,
        now=ctx.now,
    )
    await ctx.audit(
        "pair",
        programme=programme,
        target="{0} + {1}",
        people=(mentor, mentee),
    )
    return [
        Message(
            text=f"Paired {mentor.label} (mentor) with {mentee.label} (mentee) in "
            f"{programme.name}. I'm introducing them now. Why: {created.reason}",
            kind=Kind.PAIRED,
        )
    ]
