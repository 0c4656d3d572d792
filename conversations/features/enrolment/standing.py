"""Where an enrolment stands, decided once: paired, waiting, finished, or in a closed programme.

"Waiting for a partner" is counted in a person's own ``status``, in a coordinator's
``program status``, in the executive digest's "what to do" line and by the matcher, which
proposes partners to exactly the mentees who wait. Each reads :func:`waiting` here, so a
person whose pairing completed, or whose programme closed, is never told (or counted as)
waiting in one place and finished in another.

An enrolment **waits** when it is active (not paused, not left), its programme has not
closed, and on its side of that programme it has no pair under way (active or paused) and
none that completed. A pairing that ended otherwise (a partner left or blocked, or the
programme team ended it) leaves the person waiting again: the coordinators are told they
may need a new match.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select

from storage.models import (
    EndReason,
    Enrolment,
    EnrolmentStatus,
    Pair,
    Programme,
    ProgrammeStatus,
    Side,
)
from storage.repositories import LIVE_PAIR


def on_its_side() -> ColumnElement[bool]:
    """A pair of the enclosing query's enrolment: same programme, same person, same side."""
    return and_(
        Pair.programme_id == Enrolment.programme_id,
        or_(
            and_(Enrolment.side == Side.MENTOR, Pair.mentor_id == Enrolment.person_id),
            and_(Enrolment.side == Side.MENTEE, Pair.mentee_id == Enrolment.person_id),
        ),
    )


def _pair_where(*conditions: Any) -> ColumnElement[bool]:
    return exists(select(Pair.id).where(on_its_side(), *conditions))


def paired() -> ColumnElement[bool]:
    """The enrolment has a pair under way (active or paused)."""
    return _pair_where(Pair.status.in_(LIVE_PAIR))


def completed() -> ColumnElement[bool]:
    """The enrolment has a pair that went through the whole curriculum."""
    return _pair_where(Pair.end_reason == EndReason.COMPLETED)


def programme_closed() -> ColumnElement[bool]:
    return exists(
        select(Programme.id).where(
            Programme.id == Enrolment.programme_id, Programme.status == ProgrammeStatus.CLOSED
        )
    )


def waiting() -> ColumnElement[bool]:
    """The enrolment waits for a partner (see the module's docstring): the one definition."""
    return and_(
        Enrolment.status == EnrolmentStatus.ACTIVE,
        ~programme_closed(),
        ~paired(),
        ~completed(),
    )


def finished() -> ColumnElement[bool]:
    """The enrolment's pairing completed and it has none under way now."""
    return and_(Enrolment.status != EnrolmentStatus.LEFT, completed(), ~paired())
