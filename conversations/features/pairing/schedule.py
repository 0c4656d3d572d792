"""The timings of a programme: grace, stall and silence periods, pulse days, reminders.

Every time-based prompt is a column on the pair (next agenda, mid-cycle nudge,
next pulse, stall check, inactivity notice, auto-pause); the pair lifecycle
(``conversations.features.pairing.lifecycle``) arms and disarms them from these
settings, and the planner handles whatever is due. Any process can plan from them,
and a restart loses nothing.
"""

from __future__ import annotations

from datetime import timedelta

from conversations.curriculum import Curriculum
from storage.models import Programme

STALL_DAYS = 21
INACTIVE_DAYS = 90
NOTICE_DAYS = 7
FIRST_PULSE_DAY = 30
PULSE_EVERY_DAYS = 60
REMINDER_AFTER = timedelta(hours=48)
MAX_REMINDERS = 2


def setting(programme: Programme, name: str, default: int) -> int:
    try:
        return int(programme.settings.get(name, default))
    except (TypeError, ValueError):
        return default


def grace(programme: Programme) -> timedelta:
    """How long a session that fell due stays open for an answer before it passes unheard:
    the programme's ``grace_days``, else half its cadence."""
    try:
        days = float(programme.settings.get("grace_days", 0))
    except (TypeError, ValueError):
        days = 0
    return timedelta(days=days) if days > 0 else timedelta(days=programme.cadence_days) / 2


def pulse_days(curriculum: Curriculum | None) -> list[int]:
    """Programme days with a pulse: the curriculum's milestones, else day 30; then every 60."""
    days = [m.day for m in curriculum.milestones] if curriculum else []
    return days or [FIRST_PULSE_DAY]


def pulse_day(curriculum: Curriculum | None, number: int) -> int:
    """The day of the ``number``-th pulse (0-based)."""
    days = pulse_days(curriculum)
    if number < len(days):
        return days[number]
    return days[-1] + PULSE_EVERY_DAYS * (number - len(days) + 1)
