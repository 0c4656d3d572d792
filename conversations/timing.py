"""When a message may reach a person: their working hours, their time zone, quiet days.

Nudges arrive inside each recipient's own working hours (09:00–17:00 Monday to
Friday unless they or their programme say otherwise), never at night, never on
the workspace's quiet days, and not while they have snoozed the bot. A message
to a pair waits for a time that suits both, if one exists within a week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


def reader(
    person: Person, *, quiet_days: Iterable[str] = (), programme_hours: dict[str, Any] | None = None
) -> Reader:
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
        snoozed_until=person.snoozed_until,
    )


def next_slot(readers: Sequence[Reader], now: datetime) -> datetime:
    """The earliest moment from ``now`` that suits every reader.

    If no shared moment exists within two weeks (people on opposite sides of the
    world), the first reader's (the mentee's, for a pair) own next opening is used.
    """
    if not readers:
        return now
    candidates = sorted({t for r in readers for t in _bounded(r.openings(now))})
    for moment in candidates:
        if all(r.open_at(moment) for r in readers):
            return moment
    own = _bounded(readers[0].openings(now))
    return own[0] if own else now + timedelta(days=1)


def _bounded(moments: Iterable[datetime], limit: int = 64) -> list[datetime]:
    found: list[datetime] = []
    for moment in moments:
        found.append(moment)
        if len(found) >= limit:
            break
    return found
