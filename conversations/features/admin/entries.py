"""Reading audit entries: the people an entry is about are stored by id, and their names are
filled in here, when it is read.

An entry never holds anyone's name (``repo.audit`` takes the people and a target such as
``"{0} + {1}"``), so finding a person's records is a foreign-key lookup, a rename shows as
the person is called now, and someone forgotten reads as a former participant everywhere
without rewriting a single row. Both readers, ``audit`` and ``my-data``, go through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, AuditPerson, Person

_PLACE = re.compile(r"\{(\d)\}")


@dataclass(frozen=True, slots=True)
class Named:
    """One entry with the names of the people it is about, in their positions."""

    entry: AuditEntry
    labels: Sequence[str]

    @property
    def target(self) -> str:
        return fill(self.entry.target, self.labels)

    @property
    def before(self) -> dict[str, Any] | None:
        return _filled(self.entry.before, self.labels)

    @property
    def after(self) -> dict[str, Any] | None:
        return _filled(self.entry.after, self.labels)


def fill(text: str, labels: Sequence[str]) -> str:
    """``{0}`` … as the names; an entry about nobody is left exactly as written (so braces
    in a programme's own words stay braces)."""
    if not labels:
        return text

    def name(match: re.Match[str]) -> str:
        position = int(match.group(1))
        return labels[position] if position < len(labels) else match.group(0)

    return _PLACE.sub(name, text)


def _filled(value: dict[str, Any] | None, labels: Sequence[str]) -> dict[str, Any] | None:
    if value is None or not labels:
        return value
    return {key: fill(v, labels) if isinstance(v, str) else v for key, v in value.items()}


async def named(session: AsyncSession, entries: Iterable[AuditEntry]) -> list[Named]:
    """The entries with the current names of the people each is about (one query)."""
    found = list(entries)
    if not found:
        return []
    rows = await session.execute(
        select(AuditPerson.entry_id, AuditPerson.position, Person)
        .join(Person, Person.id == AuditPerson.person_id)
        .where(AuditPerson.entry_id.in_([e.id for e in found]))
        .order_by(AuditPerson.entry_id, AuditPerson.position)
    )
    labels: dict[int, list[str]] = {}
    for entry_id, _, person in rows:
        labels.setdefault(entry_id, []).append(person.label)
    return [Named(entry=e, labels=labels.get(e.id, [])) for e in found]


def about(person_id: int) -> Select[int]:
    """The ids of the entries about this person (a subquery)."""
    return select(AuditPerson.entry_id).where(AuditPerson.person_id == person_id)
