"""Arming a pair's durable schedule: the due times the planner looks for.

Every time-based prompt is a column on the pair (next agenda, mid-cycle nudge,
next pulse, stall check, inactivity notice, auto-pause), set when something
happens and cleared when it has been handled. Any process can plan from them,
and a restart loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from conversations.curriculum import Curriculum
from storage.models import Pair, Programme

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


def arm_session(pair: Pair, programme: Programme, now: datetime) -> None:
    """A session begins: its agenda is due after one cadence, a nudge half-way."""
    cadence = timedelta(days=programme.cadence_days)
    pair.session_started_at = now
    pair.next_agenda_at = now + cadence
    pair.nudge_at = now + cadence / 2


def arm_activity(pair: Pair, programme: Programme, now: datetime) -> None:
    """Something happened (a start, a meeting): the stall and silence clocks restart."""
    pair.stall_at = now + timedelta(days=setting(programme, "stall_days", STALL_DAYS))
    silence = setting(programme, "inactive_days", INACTIVE_DAYS)
    notice = setting(programme, "notice_days", NOTICE_DAYS)
    pair.inactive_at = now + timedelta(days=max(silence - notice, 1))
    pair.auto_pause_at = None


def arm_start(
    pair: Pair, programme: Programme, curriculum: Curriculum | None, now: datetime
) -> None:
    arm_session(pair, programme, now)
    arm_activity(pair, programme, now)
    pair.pulses_sent = 0
    pair.next_pulse_at = now + timedelta(days=pulse_day(curriculum, 0))


DUE_TIMES = (
    "next_agenda_at",
    "nudge_at",
    "next_pulse_at",
    "stall_at",
    "inactive_at",
    "auto_pause_at",
)
"""Every column of a pair's durable schedule."""
DISARMED: dict[str, None] = dict.fromkeys(DUE_TIMES)
"""Values for a set-based UPDATE that stops everything time-based for the pairs it hits."""


def disarm(pair: Pair) -> None:
    """The pair ended or paused: nothing time-based should fire for it."""
    for column in DUE_TIMES:
        setattr(pair, column, None)


def rearm(pair: Pair, programme: Programme, now: datetime) -> None:
    """A paused pair resumes: its current session starts afresh, clocks restart."""
    arm_session(pair, programme, now)
    arm_activity(pair, programme, now)
    pair.next_pulse_at = now + timedelta(days=PULSE_EVERY_DAYS)
