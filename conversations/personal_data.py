"""What every personal-data hook shares: dates as text, and finding a person in free text.

Each feature keeps the hook for its own tables beside its code (``@personal_data`` and
``@forgets`` in :mod:`conversations.registry`); the privacy feature runs them for
``my-data``, ``forget-me`` and the retention purge. What they have in common lives here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import Person

PLACEHOLDER_NAME = "a former participant"
"""What a forgotten person is called everywhere from then on."""


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def needles(person: Person) -> list[str]:
    """The strings that identify a person in free text: how they are named and mailed.

    Their platform id is only a needle when it was their name (no display name): ids
    like ``ana`` would otherwise match ordinary words.
    """
    found = [person.display_name.strip(), (person.email or "").strip()]
    if not person.display_name.strip():
        found.append(person.platform_user_id)
    return [n for n in found if n and n != PLACEHOLDER_NAME]


def name_pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word matches of the needles; email addresses in any case."""
    parts = []
    for needle in sorted(set(needles), key=len, reverse=True):
        escaped = re.escape(needle)
        if "@" in needle:
            escaped = f"(?i:{escaped})"
        parts.append(rf"(?<!\w){escaped}(?!\w)")
    return re.compile("|".join(parts)) if parts else None


def may_mention(column: Any, needles: Sequence[str]) -> ColumnElement[bool]:
    """A broad SQL filter for rows that may mention a needle (checked exactly in Python).

    JSON columns are compared as text, where a name may be stored with ``\\u`` escapes.
    """
    text = cast(column, Text)
    variants = {v for n in needles for v in (n, json.dumps(n)[1:-1])}
    return or_(*(text.icontains(v, autoescape=True) for v in sorted(variants)))


def replacer(pattern: re.Pattern[str], *, sentences: bool) -> Callable[[str], str]:
    """Replace each mention with the placeholder; in sentences, capitalised where one starts
    ("A former participant has paused…"), elsewhere (labels, audit targets) as it is."""

    def placeholder(match: re.Match[str]) -> str:
        before = match.string[: match.start()].rstrip(" *_“\"'")
        starts = not before or before.endswith((".", "!", "?", "\n", ":"))
        return PLACEHOLDER_NAME.capitalize() if sentences and starts else PLACEHOLDER_NAME

    def replace(text: str) -> str:
        return pattern.sub(placeholder, text)

    return replace


def _scrub(value: Any, replace: Callable[[str], str]) -> Any:
    """The same JSON value with every string scrubbed (keys are field names: kept)."""
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {k: _scrub(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, replace) for v in value]
    return value


async def scrub_mentions(
    session: AsyncSession,
    *,
    model: Any,
    columns: Sequence[InstrumentedAttribute[Any]],
    workspace_id: int,
    needles: Sequence[str],
    replace: Callable[[str], str],
) -> int:
    """Replace mentions in these columns of the workspace's rows; returns rows changed."""
    rows = await session.scalars(
        select(model)
        .where(
            model.workspace_id == workspace_id,
            or_(*(may_mention(column, needles) for column in columns)),
        )
        .execution_options(populate_existing=True)
    )
    changed = 0
    for row in rows.unique():
        touched = False
        for column in columns:
            value = getattr(row, column.key)
            if value is None:
                continue
            scrubbed = _scrub(value, replace)
            if scrubbed != value:
                setattr(row, column.key, scrubbed)
                touched = True
        changed += touched
    return changed
