"""Enrolment profiles from command flags or form fields, validated the same way."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from conversations.errors import UserError
from storage.models import Side

PROFILE_FLAGS = (
    "department",
    "title",
    "seniority",
    "skills",
    "interests",
    "goals",
    "capacity",
    "timezone",
    "languages",
    "availability",
)
_LIMITS = {"department": 120, "title": 120, "goals": 1000, "availability": 200}


@dataclass(frozen=True, slots=True)
class Profile:
    department: str = ""
    title: str = ""
    seniority: int | None = None
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    goals: str = ""
    languages: tuple[str, ...] = ()
    capacity: int = 1
    availability: str = ""
    timezone: str | None = None


def side(word: str) -> Side:
    cleaned = word.strip().lower()
    if cleaned in ("mentor", "mentors"):
        return Side.MENTOR
    if cleaned in ("mentee", "mentees", "protege", "protégé"):
        return Side.MENTEE
    raise UserError(f"'{word}' isn't a role here: choose mentor or mentee.")


def _items(value: str, field: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(i.strip() for i in value.split(",") if i.strip()))
    if len(items) > 20:
        raise UserError(f"{field}: list at most 20, separated by commas.")
    if any(len(i) > 60 for i in items):
        raise UserError(f"{field}: keep each item under 60 characters.")
    return items


@cache
def _zones() -> frozenset[str]:
    """Every IANA zone name; reading them walks the tz database, so once is enough."""
    return frozenset(available_timezones()) | {"UTC"}


def valid_timezone(value: str) -> str:
    cleaned = value.strip()
    if cleaned not in _zones():
        raise UserError(
            f"'{value}' isn't a time zone I know. Use a name like Europe/London or America/Halifax."
        )
    ZoneInfo(cleaned)
    return cleaned


def _whole(value: str, field: str, low: int, high: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise UserError(f"{field} must be a whole number from {low} to {high}.") from None
    if not low <= number <= high:
        raise UserError(f"{field} must be a whole number from {low} to {high}.")
    return number


def parse_profile(values: dict[str, str]) -> Profile:
    """Build a profile from flags or form fields; unknown keys are ignored by callers."""
    text: dict[str, str] = {}
    for field, limit in _LIMITS.items():
        value = (values.get(field) or "").strip()
        if len(value) > limit:
            raise UserError(f"{field}: keep it under {limit} characters.")
        text[field] = value
    capacity_text = (values.get("capacity") or "").strip()
    seniority_text = (values.get("seniority") or "").strip()
    timezone_text = (values.get("timezone") or "").strip()
    return Profile(
        department=text["department"],
        title=text["title"],
        goals=text["goals"],
        availability=text["availability"],
        seniority=_whole(seniority_text, "seniority", 0, 10) if seniority_text else None,
        skills=_items(values.get("skills") or "", "skills"),
        interests=_items(values.get("interests") or "", "interests"),
        languages=_items(values.get("languages") or "", "languages"),
        capacity=_whole(capacity_text, "capacity", 1, 20) if capacity_text else 1,
        timezone=valid_timezone(timezone_text) if timezone_text else None,
    )
