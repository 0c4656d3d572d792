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
            target=f"{person.label} as {side}",
            after={"side": str(side)},
        )
    return enrolment, fresh
