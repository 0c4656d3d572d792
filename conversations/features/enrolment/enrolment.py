"""Joining a programme, by oneself or enrolled by a coordinator.

Someone a coordinator enrols (``enroll``, a CSV import) is sent the programme's
code of conduct to accept, as someone who joins is shown it in the reply.
"""

from __future__ import annotations

from conversations.context import Context
from conversations.errors import UserError
from conversations.features.conduct import conduct
from conversations.features.matching.eligibility import conduct_accepted
from conversations.profiles import Profile
from storage import repositories as repo
from storage.models import Enrolment, EnrolmentStatus, Person, Programme, ProgrammeStatus, Side


def opposite(side: Side) -> Side:
    return Side.MENTEE if side == Side.MENTOR else Side.MENTOR


async def side_taken(
    ctx: Context, *, programme: Programme, person: Person, side: Side
) -> Side | None:
    """The other side, when the person is already on it in this programme (a side they
    left doesn't count: leaving is how someone changes sides)."""
    other = await repo.enrolment(
        ctx.session, programme_id=programme.id, person_id=person.id, side=opposite(side)
    )
    return opposite(side) if other is not None and other.status != EnrolmentStatus.LEFT else None


async def refuse_other_side(
    ctx: Context, *, programme: Programme, person: Person, side: Side, by_coordinator: bool
) -> None:
    """A person takes one side of a programme: refuse the other, saying how to change."""
    taken = await side_taken(ctx, programme=programme, person=person, side=side)
    if taken is None:
        return
    paired = await repo.live_pairs_of(ctx.session, person_id=person.id, programme_id=programme.id)
    ends = " (leaving ends your pairing there)" if paired else ""
    if by_coordinator:
        raise UserError(
            f"{person.label} is already in {programme.name} as a {taken}, and a person takes "
            f"one side of a programme. To change sides, they leave {programme.key} first"
            f"{' (which ends their pairing there)' if paired else ''}; then enrol them as a "
            f"{side}."
        )
    raise UserError(
        f"You're already in {programme.name} as a {taken}, and a person takes one side of a "
        f"programme. To be a {side} instead, type leave {programme.key}, then join "
        f"{programme.key} {side}{ends}."
    )


async def enrol(
    ctx: Context,
    *,
    programme: Programme,
    person: Person,
    side: Side,
    profile: Profile,
    by_coordinator: bool,
) -> tuple[Enrolment, bool]:
    """Create or refresh an enrolment. Returns it and whether it is new."""
    if programme.status == ProgrammeStatus.CLOSED:
        raise UserError(f"{programme.name} has closed, so nobody can join it now.")
    if not by_coordinator and programme.status not in (
        ProgrammeStatus.ENROLLING,
        ProgrammeStatus.ACTIVE,
    ):
        raise UserError(
            f"{programme.name} isn't open for enrolment yet. Your coordinator will "
            "announce when it is."
        )
    await refuse_other_side(
        ctx, programme=programme, person=person, side=side, by_coordinator=by_coordinator
    )
    if profile.timezone:
        person.timezone = profile.timezone
    existing = await repo.enrolment(
        ctx.session, programme_id=programme.id, person_id=person.id, side=side
    )
    fresh = existing is None or existing.status == EnrolmentStatus.LEFT
    enrolment = existing or Enrolment(
        programme_id=programme.id, person_id=person.id, side=side, created_at=ctx.now
    )
    enrolment.status = EnrolmentStatus.ACTIVE
    enrolment.left_at = None
    enrolment.department = profile.department or enrolment.department or ""
    enrolment.title = profile.title or enrolment.title or ""
    enrolment.seniority = (
        profile.seniority if profile.seniority is not None else (enrolment.seniority)
    )
    enrolment.skills = list(profile.skills) or list(enrolment.skills or [])
    enrolment.interests = list(profile.interests) or list(enrolment.interests or [])
    enrolment.goals = profile.goals or enrolment.goals or ""
    enrolment.languages = list(profile.languages) or list(enrolment.languages or [])
    enrolment.capacity = profile.capacity if side == Side.MENTOR else 1
    enrolment.availability = profile.availability or enrolment.availability or ""
    if existing is None:
        ctx.session.add(enrolment)
    await ctx.session.flush()
    if by_coordinator and not conduct_accepted(programme, enrolment):
        await conduct.send(
            ctx.session,
            programme=programme,
            curriculum=ctx.curriculum(programme),
            person=person,
            enrolment=enrolment,
            why="enrolled",
            now=ctx.now,
        )
    if by_coordinator:
        await ctx.audit(
            "enrol",
            programme=programme,
            target=f"{{0}} as {side}",
            people=(person,),
            after={"side": str(side)},
        )
    return enrolment, fresh
