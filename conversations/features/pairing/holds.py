"""What a message about a pair needs to stay true: the pair's status, and its session.

``pair_at(pair, 2)`` on an agenda for session 3 means: send it only while the pair is
active and still on that session. The check reads the pair as it is when the message
is about to go (see :mod:`conversations.holds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations.holds import Hold
from conversations.registry import condition
from storage.models import EndReason, Pair, PairStatus

_NOT_NOW = {
    PairStatus.PROPOSED: "the pairing has not started",
    PairStatus.ACTIVE: "the pairing is no longer paused",
    PairStatus.PAUSED: "the pairing is paused",
    PairStatus.ENDED: "the pairing has ended",
}


@condition("pair")
async def pair_holds(session: AsyncSession, fields: Mapping[str, Any]) -> str | None:
    pair = await session.get(Pair, fields.get("pair"))
    if pair is None:
        return "the pairing no longer exists"
    completed = pair.status == PairStatus.ENDED and pair.end_reason == EndReason.COMPLETED
    if pair.status not in fields.get("status", ()) and not (completed and fields.get("completed")):
        return _NOT_NOW[PairStatus(pair.status)]
    if "last_met" in fields and _stamp(pair.last_met_at) != fields["last_met"]:
        return "the pair has met since"
    index = fields.get("session")
    if index is not None and pair.session_index != index:
        return f"the pair has moved on from session {int(index) + 1}"
    return None


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def pair_in(pair_id: int, *statuses: PairStatus, session: int | None = None) -> Hold:
    """The pair (known by id: the planner's set-based rows) is in one of these statuses and,
    given ``session``, still on that session."""
    fields: dict[str, Any] = {"pair": pair_id, "status": [str(s) for s in statuses]}
    if session is not None:
        fields["session"] = session
    return Hold("pair", fields)


def pair_live(pair: Pair) -> Hold:
    """The pairing has not ended (active or paused)."""
    return pair_in(pair.id, PairStatus.ACTIVE, PairStatus.PAUSED)


def pair_active(pair: Pair) -> Hold:
    """The pair is active: not paused, not ended."""
    return pair_in(pair.id, PairStatus.ACTIVE)


def pair_paused(pair: Pair) -> Hold:
    """The pair is still paused (a notice that it was paused)."""
    return pair_in(pair.id, PairStatus.PAUSED)


def pair_at(pair: Pair, session_index: int) -> Hold:
    """The pair is active and still on this session (its agenda, its "did you meet?")."""
    return pair_in(pair.id, PairStatus.ACTIVE, session=session_index)


def pair_going_or_completed(pair: Pair) -> Hold:
    """The pairing has not been ended early (it is live, or it completed): a check-in about
    the last session still makes sense after the pair completes, not after a block."""
    hold = pair_live(pair)
    return Hold(hold.what, {**hold.fields, "completed": True})


def pair_still_quiet(pair: Pair) -> Hold:
    """The pair is active and has logged no meeting since this was queued (a nudge to
    meet)."""
    hold = pair_active(pair)
    return Hold(hold.what, {**hold.fields, "last_met": _stamp(pair.last_met_at)})
