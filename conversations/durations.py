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
MAX_DAYS = 3660
"""About ten years: longer than any programme, cadence or snooze, and short enough that
dates and day counts built from it stay within what Python and the database hold."""


_HOURS = 1 / 24


def _amount(text: str, digits: str, days_each: float) -> int:
    """The number written, refused when the span it makes passes ``MAX_DAYS`` (told from
    the length of the digits first, so a thousand of them cost nothing to refuse)."""
    amount = int(digits) if len(digits) <= 7 else None
    if amount is None or amount * days_each > MAX_DAYS:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"{shown!r} is longer than I can plan for; keep it under ten years")
    return amount


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
    each = _UNITS_DAYS[match.group(2)]
    amount = _amount(text, match.group(1) or "1", each)
    if amount < 1:
        raise ValueError(f"{text!r} must be at least one {match.group(2)}")
    return amount * each


def parse_delta(text: str) -> timedelta:
    """A span such as "1w", "3d", "12h", "2 weeks" for snoozes and the console's clock."""
    cleaned = " ".join(str(text).strip().lower().split())
    short = _SHORT.match(cleaned)
    if short:
        unit = short.group(2)
        each = _HOURS if unit == "h" else {"d": 1, "w": 7, "m": 30}[unit]
        amount = _amount(text, short.group(1), each)
        if amount < 1:
            raise ValueError(f"{text!r} must be more than zero")
        return timedelta(hours=amount) if unit == "h" else timedelta(days=amount * each)
    return timedelta(days=parse_days(cleaned))


def describe_days(days: int) -> str:
    """The inverse, for people: 14 → "every 2 weeks"."""
    if days % 7 == 0:
        weeks = days // 7
        return "every week" if weeks == 1 else f"every {weeks} weeks"
    return "every day" if days == 1 else f"every {days} days"
