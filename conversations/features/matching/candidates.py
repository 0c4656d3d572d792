"""People as the matcher sees them: normalised profile signals, nothing private."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from storage.models import Enrolment, Person

DepartmentMode = Literal["cross", "same", "any"]
WORKDAY_HOURS = 8.0
"""Working hours are taken as 09:00–17:00 local time until people set their own."""


def _terms(items: list[str] | tuple[str, ...] | None) -> frozenset[str]:
    return frozenset(i.strip().lower() for i in items or () if i.strip())


def utc_offset_hours(timezone: str, at: datetime) -> float:
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def overlap_hours(a: float, b: float) -> float:
    """Hours a day two people's 09:00–17:00 overlap, given their UTC offsets."""
    return max(0.0, WORKDAY_HOURS - abs(a - b))


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: int
    name: str
    department: str = ""
    seniority: int | None = None
    skills: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    goals: str = ""
    languages: frozenset[str] = frozenset()
    utc_offset: float = 0.0
    places: int = 1
    """Mentors: how many more mentees they can take in this run."""
    labels: tuple[tuple[str, str], ...] = ()
    """Original spellings of terms, for explanations: (lower-case term, as written)."""

    def label(self, term: str) -> str:
        return dict(self.labels).get(term, term)


def candidate(
    person: Person, enrolment: Enrolment | None, *, at: datetime, places: int = 1
) -> Candidate:
    skills = list(enrolment.skills) if enrolment else []
    interests = list(enrolment.interests) if enrolment else []
    return Candidate(
        person_id=person.id,
        name=person.label,
        department=(enrolment.department.strip() if enrolment else ""),
        seniority=enrolment.seniority if enrolment else None,
        skills=_terms(skills),
        interests=_terms(interests),
        goals=(enrolment.goals.lower() if enrolment else ""),
        languages=_terms(enrolment.languages if enrolment else []),
        utc_offset=utc_offset_hours(person.timezone, at),
        places=places,
        labels=tuple((t.strip().lower(), t.strip()) for t in skills + interests if t.strip()),
    )
