"""Why two people were paired, in words both of them are shown.

The introduction must say why; a reason nobody can read back is a reason
nobody trusts. The sentences name the same signals the matcher scores.
"""

from __future__ import annotations

from conversations.features.matching.candidates import Candidate, DepartmentMode, overlap_hours


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reasons(*, mentor: Candidate, mentee: Candidate, department_mode: DepartmentMode) -> list[str]:
    found: list[str] = []
    wanted = mentee.interests | frozenset(t for t in mentor.skills if t in mentee.goals)
    strengths = sorted(mentor.skills & wanted)
    if strengths:
        shown = _list([mentor.label(t) for t in strengths[:3]])
        found.append(f"{mentor.name} brings {shown}, which {mentee.name} wants to grow")
    shared = sorted(mentor.interests & mentee.interests)
    if shared:
        found.append(f"you share an interest in {_list([mentee.label(t) for t in shared[:3]])}")
    a, b = mentor.department, mentee.department
    if a and b and a.lower() != b.lower() and department_mode == "cross":
        found.append(
            f"you work in different parts of the organisation ({a} and {b}), "
            "the kind of bridge this programme is for"
        )
    elif a and b and a.lower() == b.lower() and department_mode == "same":
        found.append(f"you both know {a} from the inside")
    languages = sorted(mentor.languages & mentee.languages)
    if languages and (len(mentor.languages) > 1 or len(mentee.languages) > 1):
        found.append(f"you both speak {_list([t.title() for t in languages])}")
    if mentor.utc_offset != mentee.utc_offset:
        overlap = overlap_hours(mentor.utc_offset, mentee.utc_offset)
        if overlap >= 1:
            found.append(f"your working hours overlap {overlap:g} h a day across time zones")
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
