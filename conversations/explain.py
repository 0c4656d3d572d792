"""Why two people were paired, in words both of them are shown.

The introduction must say why; a reason nobody can read back is a reason
nobody trusts. Matching (coordinator issue) scores the same signals.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from storage.models import Enrolment, Person


def _norm(items: list[str]) -> dict[str, str]:
    return {item.strip().lower(): item.strip() for item in items if item.strip()}


def working_hours_overlap(a: Person, b: Person, *, at: datetime) -> int:
    """Hours per weekday both people are inside 09:00–17:00 local time."""

    def hours(person: Person) -> set[int]:
        offset = at.astimezone(ZoneInfo(person.timezone)).utcoffset()
        shift = int(offset.total_seconds() // 3600) if offset else 0
        return {(h - shift) % 24 for h in range(9, 17)}

    return len(hours(a) & hours(b))


def reasons(
    *,
    mentor: Person,
    mentee: Person,
    mentor_profile: Enrolment | None,
    mentee_profile: Enrolment | None,
    prefer_cross_department: bool,
    at: datetime,
) -> list[str]:
    found: list[str] = []
    if mentor_profile is not None and mentee_profile is not None:
        skills = _norm(mentor_profile.skills)
        wanted = _norm(mentee_profile.interests)
        goals = mentee_profile.goals.lower()
        matched = [label for key, label in skills.items() if key in wanted or key in goals]
        if matched:
            found.append(
                f"{mentor.label} brings {', '.join(matched)}, which {mentee.label} wants to grow"
            )
        shared = [label for key, label in _norm(mentor_profile.interests).items() if key in wanted]
        if shared:
            found.append(f"you share an interest in {', '.join(shared)}")
        a, b = mentor_profile.department.strip(), mentee_profile.department.strip()
        if a and b and a.lower() != b.lower() and prefer_cross_department:
            found.append(
                f"you work in different parts of the organisation ({a} and {b}), "
                "the kind of bridge this programme is for"
            )
        elif a and b and a.lower() == b.lower() and not prefer_cross_department:
            found.append(f"you both know {a} from the inside")
    overlap = working_hours_overlap(mentor, mentee, at=at)
    if mentor.timezone != mentee.timezone:
        if overlap >= 1:
            found.append(f"your working hours overlap {overlap} h a day across time zones")
        else:
            found.append("your working hours don't overlap, so you'll want to agree a time early")
    return found


def sentence(parts: list[str], note: str | None) -> str:
    text = ""
    if parts:
        text = "; ".join(parts)
        text = text[0].upper() + text[1:] + "."
    if note:
        note = note.strip().rstrip(".") + "."
        text = f"{text} Your coordinator adds: {note}" if text else note
    return text or "Your coordinator thought you'd be good for each other."
