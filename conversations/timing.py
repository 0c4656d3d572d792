"""When a message may reach a person: their working hours, their time zone, quiet days.

Nudges arrive inside each recipient's own working hours (09:00–17:00 Monday to
Friday unless they or their programme say otherwise), never at night, never on
the workspace's quiet days, and not while they have snoozed the bot. A message
to a pair waits for a time that suits both, if one exists within a week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.models import Person

DEFAULT_DAYS = (0, 1, 2, 3, 4)
SEARCH_DAYS = 14


@dataclass(frozen=True, slots=True)
class Hours:
    start: time = time(9)
    end: time = time(17)
    days: tuple[int, ...] = DEFAULT_DAYS
    """Weekdays, Monday = 0."""

    @classmethod
    def parse(cls, data: dict[str, Any] | None, fallback: Hours | None = None) -> Hours:
        base = fallback or cls()
        if not data:
            return base
        try:
            start = time.fromisoformat(str(data.get("start", base.start.isoformat())))
            end = time.fromisoformat(str(data.get("end", base.end.isoformat())))
            days = tuple(sorted({int(d) for d in data.get("days", base.days) if 0 <= int(d) <= 6}))
        except (TypeError, ValueError):
            return base
        if not days or start >= end:
            return base
        return cls(start=start, end=end, days=days)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "days": list(self.days),
        }


@dataclass(frozen=True, slots=True)
class Reader:
    """One recipient's rules, ready to test moments against."""

    zone: ZoneInfo
    hours: Hours
    quiet: frozenset[date]
    snoozed_until: datetime | None

    def open_at(self, moment: datetime) -> bool:
        if self.snoozed_until is not None and moment < self.snoozed_until:
            return False
        local = moment.astimezone(self.zone)
        return (
            local.weekday() in self.hours.days
            and local.date() not in self.quiet
            and self.hours.start <= local.time() < self.hours.end
        )

    def openings(self, after: datetime) -> Iterable[datetime]:
        """Start of each open window from ``after`` on (``after`` itself if already open)."""
        if self.open_at(after):
            yield after
        local = after.astimezone(self.zone)
        for offset in range(SEARCH_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            # Build the local wall time, then let the zone settle DST; round-trip via UTC.
            start = datetime.combine(day, self.hours.start, tzinfo=self.zone)
            start = start.astimezone(ZoneInfo("UTC")).astimezone(self.zone)
            if start > after and self.open_at(start):
                yield start
            if self.snoozed_until is not None and self.snoozed_until > after:
                snooze_end = self.snoozed_until
                if self.open_at(snooze_end) and snooze_end.astimezone(self.zone).date() == day:
                    yield snooze_end


WAKING = Hours(start=time(7), end=time(21))
"""When two people share no working hours, a message to both waits for waking hours."""


def reader(
    person: Person,
    *,
    quiet_days: Iterable[str] = (),
    programme_hours: dict[str, Any] | None = None,
    snooze: bool = True,
) -> Reader:
    """One person's rules. ``snooze=False`` for a message shared with someone else: one
    person's snooze holds their own nudges, not their partner's agenda."""
    quiet: set[date] = set()
    for text in quiet_days:
        try:
            quiet.add(date.fromisoformat(str(text)))
        except ValueError:
            continue
    fallback = Hours.parse(programme_hours)
    return Reader(
        zone=ZoneInfo(person.timezone),
        hours=Hours.parse(person.working_hours, fallback),
        quiet=frozenset(quiet),
        snoozed_until=person.snoozed_until if snooze else None,
    )


def next_slot(readers: Sequence[Reader], now: datetime) -> datetime:
    """The earliest moment from ``now`` that suits every reader.

    People on opposite sides of the world may share no working hours: then the
    message waits for hours when both are awake (07:00–21:00), and failing that
    for the first reader's (the mentee's, for a pair) own working hours.
    """
    if not readers:
        return now
    for group in (readers, [replace(r, hours=replace(WAKING, days=r.hours.days)) for r in readers]):
        shared = _shared(group, now)
        if shared is not None:
            return shared
    own = _bounded(readers[0].openings(now))
    return own[0] if own else now + timedelta(days=1)


def _shared(readers: Sequence[Reader], now: datetime) -> datetime | None:
    candidates = sorted({t for r in readers for t in _bounded(r.openings(now))})
    return next((m for m in candidates if all(r.open_at(m) for r in readers)), None)


def _bounded(moments: Iterable[datetime], limit: int = 64) -> list[datetime]:
    found: list[datetime] = []
    for moment in moments:
        found.append(moment)
        if len(found) >= limit:
            break
    return found
