"""Who may be matched with whom, decided in one place.

The whole-pool matcher, mentee-choice suggestions and answers, a coordinator's
``pair`` and ``publish`` all ask here, so a safety rule added once holds on every
path into a pairing. There are two kinds of rule:

- a **hold** keeps one enrolment out of matching until something is recorded:
  the programme's current code of conduct accepted (an acceptance of an older
  version no longer counts), and, for a minor, a guardian's consent;
- a **bar** rules out one mentor with one mentee: an adult with a minor outside a
  safeguarded programme, a mentor without a valid clearance in a safeguarded
  programme, and two people on the do-not-pair list (which a block also adds to,
  in every programme of the workspace).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import DoNotPair, Enrolment, Person, Programme

HoldKind = Literal["conduct", "guardian"]
ProblemKind = Literal["conduct", "guardian", "ages", "clearance", "no_adult", "do_not_pair"]

AGES = "an adult and a minor can only be paired in a safeguarded programme"
"""Why an adult and a minor are never proposed together outside a safeguarded programme."""


def conduct_accepted(programme: Programme, enrolment: Enrolment) -> bool:
    """Whether this enrolment accepted the code of conduct as it stands now."""
    return (
        enrolment.consented_at is not None
        and enrolment.consent_version == programme.conduct_version
    )


def clearance_valid(person: Person, now: datetime) -> bool:
    return person.clearance_recorded_at is not None and (
        person.clearance_expires_at is None or person.clearance_expires_at > now
    )


def hold(programme: Programme, enrolment: Enrolment, person: Person) -> HoldKind | None:
    """What keeps this enrolment out of matching for now, if anything."""
    if not conduct_accepted(programme, enrolment):
        return "conduct"
    if person.is_minor and person.guardian_consent_at is None:
        return "guardian"
    return None


def held_because(kind: HoldKind, person: Person) -> str:
    """A hold in a coordinator's words, naming the person."""
    if kind == "conduct":
        return f"{person.label} hasn't accepted the code of conduct yet"
    return f"{person.label} is a minor and no guardian's consent is recorded yet"


def waiting_for(kind: HoldKind) -> str:
    """A hold as the reason someone is left unmatched (the person is named beside it)."""
    if kind == "conduct":
        return "waiting to accept the code of conduct"
    return "a minor, waiting for a guardian's consent to be recorded"


def ages_barred(programme: Programme, mentor: Person, mentee: Person) -> bool:
    """An adult and a minor together, which only a safeguarded programme allows."""
    return not programme.safeguarded and mentor.is_minor != mentee.is_minor


async def on_do_not_pair(session: AsyncSession, *, workspace_id: int, a: int, b: int) -> bool:
    """Whether two people are on the workspace's do-not-pair list (a block included)."""
    first, second = (a, b) if a < b else (b, a)
    found = await session.scalar(
        select(DoNotPair.id).where(
            DoNotPair.workspace_id == workspace_id,
            DoNotPair.first_id == first,
            DoNotPair.second_id == second,
        )
    )
    return found is not None


NO_ADULT = (
    "nobody outside the pair can look after it: a safeguarded pairing needs a coordinator "
    "or safeguarding contact who is neither of the two (admin grant @someone safeguarding)"
)


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    person: Person | None
    """Whose record is missing something (None: a rule about the two of them)."""
    text: str


async def problems(
    session: AsyncSession,
    *,
    programme: Programme,
    mentor: Person,
    mentee: Person,
    mentor_enrolment: Enrolment,
    mentee_enrolment: Enrolment,
    now: datetime,
) -> list[Problem]:
    """Everything that stops this mentor and this mentee starting a pair now, holds first."""
    found: list[Problem] = []
    for person, enrolment in ((mentor, mentor_enrolment), (mentee, mentee_enrolment)):
        kind = hold(programme, enrolment, person)
        if kind is not None:
            found.append(Problem(kind, person, held_because(kind, person)))
    if ages_barred(programme, mentor, mentee):
        found.append(Problem("ages", None, AGES))
    if programme.safeguarded and not clearance_valid(mentor, now):
        found.append(Problem("clearance", mentor, f"{mentor.label} has no valid clearance"))
    if programme.safeguarded and not await repo.safeguard_for(
        session, workspace_id=programme.workspace_id, mentor_id=mentor.id, mentee_id=mentee.id
    ):
        found.append(Problem("no_adult", None, NO_ADULT))
    if await on_do_not_pair(session, workspace_id=programme.workspace_id, a=mentor.id, b=mentee.id):
        found.append(
            Problem(
                "do_not_pair",
                None,
                f"{mentor.label} and {mentee.label} are on the do-not-pair list",
            )
        )
    return found
