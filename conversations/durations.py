"""Human durations: "every 2 weeks", "6 months", "1w", "3d".

Curriculum authors and coordinators write durations the way people say them;
this module turns them into days (for cadences) or timedeltas (for snoozes and
the console's ``wait``).
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS_DAYS = {"day": 1, "week": 7, "month": 30}
_WORDS = {"weekly": 7, "fortnightly": 14, "daily": 1, "monthly": 30}
_AMOUNT = re.compile(r"^(?:every\s+)?(?:(\d+)\s*)?(day|week|month)s?$")
_SHORT = re.compile(r"^(\d+)\s*([dwmh])$")


def parse_days(text: str) -> int:
    """Days in "every 2 weeks", "every week", "fortnightly", "6 months", "10 days".

    Raises ``ValueError`` with a sentence a person can act on.
    """
    cleaned = " ".join(str(text).strip().lower().split())
    if cleaned in _WORDS:
        return _WORDS[cleaned]
    if cleaned.startswith("every ") and cleaned[6:] in _WORDS:
        return _WORDS[cleaned[6:]]
    match = _AMOUNT.match(cleaned)
    if match is None:
        raise ValueError(
            f"{text!r} is not a duration I understand; write e.g. "
            "'every 2 weeks', 'every week', '6 weeks' or '3 months'"
        )
    amount = int(match.group(1) or 1)
    if amount < 1:
        raise ValueError(f"{text!r} must be at least one {match.group(2)}")
    return amount * _UNITS_DAYS[match.group(2)]


def parse_delta(text: str) -> timedelta:
    """A span such as "1w", "3d", "12h", "2 weeks" for snoozes and the console's clock."""
    cleaned = " ".join(str(text).strip().lower().split())
    short = _SHORT.match(cleaned)
    if short:
        amount, unit = int(short.group(1)), short.group(2)
        if amount < 1:
            raise ValueError(f"{text!r} must be more than zero")
        if unit == "h":
            return timedelta(hours=amount)
        return timedelta(days=amount * {"d": 1, "w": 7, "m": 30}[unit])
    return timedelta(days=parse_days(cleaned))


def describe_days(days: int) -> str:
    """The inverse, for people: 14 → "every 2 weeks"."""
    if days % 7 == 0:
        weeks = days // 7
        return "every week" if weeks == 1 else f"every {weeks} weeks"
    return "every day" if days == 1 else f"every {days} days"
