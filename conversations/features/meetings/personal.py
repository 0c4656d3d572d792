"""What meetings keep about a person: the meetings logged in their pairs (``my-data``).

Meetings stay when someone is forgotten: they hold no words, and their partner's history
and every count must stay whole.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import iso
from conversations.registry import personal_data
from storage.models import Meeting, MeetingOutcome, Pair, Person


@personal_data("meetings", order=40)
async def meetings(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    pairs = (
        await session.scalars(
            select(Pair).where(or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id))
        )
    ).unique()
    partners = {p.id: p.other(person.id).id for p in pairs}
    if not partners:
        return []
    rows = await session.scalars(
        select(Meeting).where(Meeting.pair_id.in_(partners)).order_by(Meeting.id)
    )

    def who(meeting: Meeting) -> str:
        if meeting.outcome == MeetingOutcome.NOT_HEARD:
            return "nobody: the session passed without an answer"
        if meeting.logged_by_id == person.id:
            return "you"
        if meeting.logged_by_id == partners[meeting.pair_id]:
            return "your partner"
        return "the programme team"

    return [
        {
            "pair": m.pair_id,
            "session": m.session_index + 1,
            "outcome": m.outcome,
            "logged_by": who(m),
            "logged_at": iso(m.logged_at),
        }
        for m in rows
    ]
