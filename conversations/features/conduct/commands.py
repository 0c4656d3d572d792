"""The code of conduct from chat: participants read and accept it; coordinators replace it.

Accepting is what lets someone be matched (``matching.eligibility``), so it is
audited like a coordinator's action. A button from an older version never
accepts the newer code: it says the code has changed and shows the new one.
"""

from __future__ import annotations

from conversations import arguments as arg
from conversations import codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.conduct import conduct
from conversations.features.matching.eligibility import conduct_accepted
from conversations.features.programmes.commands import COORDINATING
from conversations.grammar import MAX_COMMAND_LENGTH
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import action, verb
from storage import repositories as repo
from storage.models import Enrolment, EnrolmentStatus, Programme, ProgrammeStatus, Role

AGREE = "agree"


def _card(
    ctx: Context, programme: Programme, enrolment: Enrolment | None, why: conduct.Why
) -> Message:
    return conduct.card(
        programme=programme,
        code=conduct.text_of(programme, ctx.curriculum(programme)),
        why=why,
        enrolment=enrolment,
        reader=ctx.actor,
    )


async def _mine(ctx: Context, programme: Programme) -> Enrolment | None:
    """The reader's oldest enrolment in the programme that has not left, if any."""
    found = await conduct.live_enrolments(
        ctx.session, programme_id=programme.id, person_id=ctx.actor.id
    )
    return found[0] if found else None


async def _agree(ctx: Context, programme: Programme) -> Reply:
    enrolment = await _mine(ctx, programme)
    if enrolment is None:
        raise UserError(
            f"You're not in {programme.name}, so there's nothing to accept. "
            f"Type join {programme.key} to take part."
        )
    if programme.status == ProgrammeStatus.CLOSED:
        raise UserError(f"{programme.name} has closed, so there's nothing to accept.")
    if conduct_accepted(programme, enrolment):
        return [
            Message(
                text=f"You've already accepted the code of conduct for {programme.name}. "
                "Thank you.",
                kind=Kind.CONDUCT_ACCEPTED,
            )
        ]
    await conduct.accept(ctx.session, programme=programme, person=ctx.actor, now=ctx.now)
    await ctx.audit(
        "conduct.accept",
        programme=programme,
        target="{0}",
        people=(ctx.actor,),
        after={"version": programme.conduct_version},
    )
    paired = await repo.live_pairs_of(
        ctx.session, person_id=ctx.actor.id, programme_id=programme.id
    )
    then = (
        "Your pairing carries on as before."
        if paired
        else "You can now be matched; I'll introduce you and your partner when you are."
    )
    return [
        Message(
            text=f"Thank you for accepting the code of conduct for {programme.name}. {then}",
            kind=Kind.CONDUCT_ACCEPTED,
        )
    ]


@verb(
    "conduct",
    summary="read a programme's code of conduct; agree accepts it",
    arguments=(arg.programme(optional=True), arg.choice("agree", AGREE, optional=True)),
)
async def read(ctx: Context, args: Args) -> Reply:
    key, agreeing = args.program, args.agree is not None
    if agreeing and key is None:
        # A programme may be called "agree"; if so, "conduct agree" reads its code.
        named = await repo.programme_by_key(ctx.session, workspace_id=ctx.workspace.id, key=AGREE)
        if named is not None:
            key, agreeing = AGREE, False
    if key is not None:
        programme = await ctx.programme(key)
        if agreeing:
            return await _agree(ctx, programme)
        return [_card(ctx, programme, await _mine(ctx, programme), "read")]
    mine: list[tuple[Programme, Enrolment]] = []
    for enrolment in await repo.enrolments_of(ctx.session, person_id=ctx.actor.id):
        owner = await ctx.session.get(Programme, enrolment.programme_id)
        closed = owner is None or owner.status == ProgrammeStatus.CLOSED
        if owner is not None and not closed and all(p.id != owner.id for p, _ in mine):
            mine.append((owner, enrolment))
    if not mine:
        raise UserError(
            "You're not in a programme yet. Type conduct <program> to read a programme's "
            "code of conduct, or programs to see what's on offer."
        )
    waiting = [(p, e) for p, e in mine if not conduct_accepted(p, e)]
    if agreeing:
        if len(waiting) > 1:
            keys = ", ".join(p.key for p, _ in waiting)
            raise UserError(
                f"You have more than one code of conduct to accept ({keys}). Read each with "
                "conduct <program>, then agree to it: conduct <program> agree."
            )
        if not waiting:
            return [
                Message(
                    text="You've already accepted the code of conduct in every programme "
                    "you're in. Thank you.",
                    kind=Kind.CONDUCT_ACCEPTED,
                )
            ]
        return await _agree(ctx, waiting[0][0])
    if len(mine) == 1 or waiting:
        return [_card(ctx, p, e, "read") for p, e in (waiting or mine)]
    keys = ", ".join(p.key for p, _ in mine)
    return [
        Message(
            text=f"You've accepted the code of conduct in every programme you're in ({keys}). "
            "Type conduct <program> to read one again.",
            kind=Kind.CONDUCT,
        )
    ]


@action(conduct.ACCEPT)
async def press_agree(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    """ "I agree" on a code card: accepts the version that card showed, and only that one."""
    answer = codec.ConductAnswer.decode(value)
    enrolment = await ctx.session.get(Enrolment, answer.enrolment_id)
    if enrolment is None or enrolment.person_id != ctx.actor.id:
        raise codec.OutOfDate
    programme = await ctx.session.get(Programme, enrolment.programme_id)
    if programme is None or programme.workspace_id != ctx.workspace.id:
        raise codec.OutOfDate
    if enrolment.status == EnrolmentStatus.LEFT:
        raise UserError(
            f"You've left {programme.name}, so there's nothing to accept. "
            f"Type join {programme.key} if you'd like to come back."
        )
    if answer.version != programme.conduct_version:
        if conduct_accepted(programme, enrolment):
            return await _agree(ctx, programme)
        return [
            Message(
                text=f"The code of conduct for {programme.name} has changed since that "
                "message, so that button can't accept it. Here's the new version.",
                kind=Kind.CONDUCT_CHANGED,
            ),
            _card(ctx, programme, enrolment, "changed"),
        ]
    return await _agree(ctx, programme)


@verb(
    "program conduct",
    summary="show a programme's code of conduct, or replace it (everyone accepts it again)",
    role=Role.COORDINATOR,
    arguments=(
        arg.programme(),
        arg.text("code", label='"the new code"', optional=True, longest=MAX_COMMAND_LENGTH),
    ),
    group=COORDINATING,
)
async def coordinate(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    curriculum = ctx.curriculum(programme)
    if args.code is None:
        waiting, enrolled = await conduct.not_accepted(ctx.session, programme=programme)
        source = (
            "your own" if programme.conduct.strip() else f"from the {curriculum.name} curriculum"
        )
        return [
            Message(
                text=f"The code of conduct for {programme.name} (version "
                f"{programme.conduct_version}, {source}); {waiting} of {enrolled} enrolled "
                f"haven't accepted it yet:\n\n{conduct.text_of(programme, curriculum)}",
                kind=Kind.CONDUCT,
            )
        ]
    text = args.code.strip()
    if not text:
        raise UserError(
            'The code can\'t be empty. Put it in quotes: program conduct career "1. Be kind."'
        )
    if programme.status == ProgrammeStatus.CLOSED:
        raise UserError(f"{programme.name} has closed, so its code of conduct can't change now.")
    before = programme.conduct_version
    if text == conduct.text_of(programme, curriculum):
        raise UserError(
            f"That's already the code of conduct for {programme.name} (version {before}); "
            "nothing changed."
        )
    sent = await conduct.replace(
        ctx.session, programme=programme, curriculum=curriculum, text=text, now=ctx.now
    )
    await ctx.audit(
        "program.conduct",
        programme=programme,
        target=programme.key,
        before={"version": before},
        after={"version": programme.conduct_version},
    )
    people = "person" if sent == 1 else "people"
    return [
        Message(
            text=f"The code of conduct for {programme.name} is now version "
            f"{programme.conduct_version}. I've sent it to {sent} {people} to accept; until "
            "they do, they won't be matched with anyone new. Pairs already running carry on.",
            kind=Kind.CONDUCT_CHANGED,
        )
    ]
