"""What a code-of-conduct card needs to stay true: the person has not yet agreed to it,
it is still the code in force, and they are still in the programme."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold
from conversations.registry import condition
from storage.models import Person, Programme, ProgrammeStatus


@condition("not_agreed")
async def not_agreed_holds(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
    programme = await session.get(Programme, fields.get("programme"))
    if programme is None or programme.status == ProgrammeStatus.CLOSED:
        return "the programme has closed"
    if programme.conduct_version != fields.get("version"):
        return "a newer code of conduct has replaced this one"
    # Imported here: conduct.py imports this module to state its card's hold.
    from conversations.features.conduct.conduct import live_enrolments

    enrolments = await live_enrolments(
        session, programme_id=programme.id, person_id=fields.get("person")
    )
    if not enrolments:
        return "they are no longer in the programme"
    if all(
        e.consented_at is not None and e.consent_version == programme.conduct_version
        for e in enrolments
    ):
        return "they have already agreed to the code of conduct"
    return None


def not_agreed(person: Person, programme: Programme) -> Hold:
    """Ask only while this person has not agreed to the code now in force."""
    return Hold(
        "not_agreed",
        {"programme": programme.id, "person": person.id, "version": programme.conduct_version},
    )
