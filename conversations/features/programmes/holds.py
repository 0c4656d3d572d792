"""What a message about a programme needs to stay true: the programme is not closed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold
from conversations.registry import condition
from storage.models import Programme, ProgrammeStatus


@condition("programme_open")
async def programme_open_holds(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
    programme = await session.get(Programme, fields.get("programme"))
    if programme is None or programme.status == ProgrammeStatus.CLOSED:
        return "the programme has closed"
    return None


def programme_open(programme: Programme) -> Hold:
    return Hold("programme_open", {"programme": programme.id})
