"""What enrolment keeps about a person: their enrolments (the profile they gave each
programme, their consent) and the blocks they made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import iso
from conversations.registry import Forgetting, forgets, personal_data
from storage.models import DoNotPair, Enrolment, EnrolmentStatus, Person, Programme


async def _blank_enrolments(forgetting: Forgetting) -> None:
    """Their profile goes; the enrolment stays, as left, so programme counts stay true."""
    await forgetting.session.execute(
        update(Enrolment)
        .where(Enrolment.person_id == forgetting.person.id)
        .values(
            department="",
            title="",
            seniority=None,
            skills=[],
            interests=[],
            goals="",
            languages=[],
            availability="",
            status=EnrolmentStatus.LEFT,
            left_at=func.coalesce(Enrolment.left_at, forgetting.now),
        )
        .execution_options(synchronize_session=False)
    )


@personal_data("enrolments", forget=_blank_enrolments, order=20)
async def enrolments(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Enrolment, Programme)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.person_id == person.id)
        .order_by(Enrolment.id)
    )
    return [
        {
            "programme": programme.key,
            "programme_name": programme.name,
            "side": e.side,
            "status": e.status,
            "department": e.department,
            "title": e.title,
            "seniority": e.seniority,
            "skills": list(e.skills or []),
            "interests": list(e.interests or []),
            "goals": e.goals,
            "languages": list(e.languages or []),
            "capacity": e.capacity,
            "availability": e.availability,
            "consent": {"accepted_at": iso(e.consented_at), "code_version": e.consent_version},
            "created_at": iso(e.created_at),
            "left_at": iso(e.left_at),
        }
        for e, programme in rows.unique()
    ]


@forgets("their_blocks", order=75)
async def forget_blocks(forgetting: Forgetting) -> None:
    """Their own blocks go. Entries others made about them stay, like concerns do, and so
    do entries they made as a coordinator to keep two other people apart. (Not in a copy:
    who should not be paired with whom concerns other people too.)"""
    person = forgetting.person
    await forgetting.session.execute(
        delete(DoNotPair)
        .where(
            DoNotPair.created_by_id == person.id,
            or_(DoNotPair.first_id == person.id, DoNotPair.second_id == person.id),
        )
        .execution_options(synchronize_session=False)
    )
