"""What every personal-data hook shares: dates as text, and spelling a person's mentions.

Each feature keeps the hook for its own tables beside its code (``@personal_data`` and
``@forgets`` in :mod:`conversations.registry`); the privacy feature runs them for
``my-data``, ``forget-me`` and the retention purge. What they have in common lives here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import OutboxMention, OutboxMessage, Pair, Person

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


def pair_ids_of(person_id: int) -> Select[int]:
    """The ids of every pair this person is in, either side, whatever its status."""
    return select(Pair.id).where(or_(Pair.mentor_id == person_id, Pair.mentee_id == person_id))


def outbox_rows_naming(person_id: int) -> CompoundSelect[tuple[int]]:
    """The ids of the outbox rows that name this person: those to them, those to or about a
    pair they are in (its ``pair_id``), and those that mention them besides
    (``OutboxMention``). Found by id, never by looking for their name."""
    return union(
        select(OutboxMessage.id).where(
            or_(
                OutboxMessage.person_id == person_id,
                OutboxMessage.pair_id.in_(pair_ids_of(person_id)),
            )
        ),
        select(OutboxMention.outbox_id).where(OutboxMention.person_id == person_id),
    )


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
    where: ColumnElement[bool],
    replace: Callable[[str], str],
) -> int:
    """Replace mentions in these columns of the rows ``where`` picks; returns rows changed.

    ``where`` must find the rows by id (an outbox row that names the person, say): the
    name is only how the mention is spelled inside a row already known to be about them.
    Looking for the name across a table would rewrite records about anyone else who shares
    it, or who renamed themselves to it."""
    rows = await session.scalars(
        select(model).where(where).execution_options(populate_existing=True)
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
