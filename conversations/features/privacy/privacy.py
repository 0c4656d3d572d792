"""Data rights: a copy of everything kept about a person, forgetting them, and retention.

Mentoring records hold what people say in confidence, and some programmes serve
children, so three promises are kept here rather than left to good intentions:

* **A copy.** ``personal_data`` gathers everything stored about one person, so
  they can see it without asking anyone. It leaves out what would expose someone
  else: concerns other people reported (reporters must be safe to report), the
  confidential do-not-pair list, other people's notes and contact details.
* **Forgetting.** ``forget`` deletes the person's data but keeps an anonymous
  placeholder row, so their partner's history stays whole and every count
  (pairs, meetings, ratings) stays true. Mentions of them in messages and the
  audit log are replaced, not deleted, for the same reason. Concerns they
  reported are kept as safety records, without the link to them.
* **Retention.** ``purge_expired`` deletes the free text of check-ins and pulses
  once a programme has been closed for the retention period: nobody needs a
  private reflection years after the programme ended.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.personal_data import PLACEHOLDER_NAME, iso, name_pattern, needles
from conversations.registry import Forgetting, PersonalData
from storage import repositories as repo
from storage.models import Pair, PairStatus, Person, Workspace

__all__ = ["PLACEHOLDER_NAME", "Forgotten", "as_json_file", "forget", "personal_data"]
FORGOTTEN_PREFIX = "forgotten:"
"""A forgotten person's platform id starts with this, so it never matches anyone again."""
NOT_INCLUDED = (
    "Concerns that other people reported, including any about you, are not included, to "
    "protect the people who report.",
    "Confidential records the programme team keeps about who should not be paired are not "
    "included, because they concern other people too.",
    "Other people's private notes, ratings and contact details are never included.",
    "The technical details your chat platform needs to reach you (a conversation "
    "reference) exist but are not included: they are addresses for machines, not "
    "information about you.",
)


# -- a copy of everything --------------------------------------------------------------------


async def personal_data(
    session: AsyncSession,
    *,
    person: Person,
    workspace: Workspace,
    now: datetime,
    hooks: Sequence[PersonalData] = (),
) -> dict[str, Any]:
    """Everything stored about ``person``, as JSON-ready data (datetimes in ISO 8601).

    The person's own row, then each feature's part (its ``@personal_data`` hook, in the
    hooks' order), so a table that holds personal data shows up here because the feature
    that writes it declared it, beside the code.
    """
    manager = await session.get(Person, person.manager_id) if person.manager_id else None
    parts = {
        hook.name: await hook.export(session, person) for hook in hooks if hook.export is not None
    }
    return {
        "about": f"Everything the mentoring bot stores about you in this "
        f"{workspace.platform} workspace, as of {now.isoformat()}.",
        "generated_at": now.isoformat(),
        "person": {
            "display_name": person.display_name,
            "platform_user_id": person.platform_user_id,
            "email": person.email,
            "timezone": person.timezone,
            "locale": person.locale,
            "working_hours": person.working_hours,
            "manager": manager.label if manager else None,
            "snoozed_until": iso(person.snoozed_until),
            "reachable": person.reachable,
            "is_minor": person.is_minor,
            "guardian_consent_at": iso(person.guardian_consent_at),
            "clearance_recorded_at": iso(person.clearance_recorded_at),
            "clearance_expires_at": iso(person.clearance_expires_at),
            "greeted_at": iso(person.greeted_at),
            "created_at": iso(person.created_at),
        },
        "technical": {
            "conversation_reference_stored": bool(person.conversation_ref),
            "note": NOT_INCLUDED[-1],
        },
        **parts,
        "not_included": list(NOT_INCLUDED),
    }


def as_json_file(data: dict[str, Any]) -> bytes:
    """The copy as a readable UTF-8 JSON file (names with accents stay readable)."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


# -- forgetting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting changed, for the reply (counts only: nothing personal)."""

    pairs_ended: int


async def forget(
    session: AsyncSession,
    *,
    person: Person,
    now: datetime,
    default_timezone: str,
    hooks: Sequence[PersonalData] = (),
) -> Forgotten:
    """Delete the person's data, leaving an anonymous placeholder (see the module docstring).

    Each feature's hook forgets what its tables hold (in the hooks' order: the adapters'
    copies before the outbox rows that say which copies were theirs); then the person's
    own row becomes the placeholder, and only then are others told (the hooks' ``after``),
    so no rewriting of names touches those notices. Runs in the caller's transaction: if
    anything fails, nothing is forgotten by half.
    """
    found = needles(person)
    kept = await session.scalars(
        select(Pair.id)
        .where(
            or_(Pair.mentor_id == person.id, Pair.mentee_id == person.id),
            Pair.status != PairStatus.PROPOSED,
        )
        .order_by(Pair.id)
    )
    forgetting = Forgetting(
        session=session,
        person=person,
        platform_user_id=person.platform_user_id,
        pair_ids=list(kept),
        names=name_pattern(found),
        now=now,
    )
    for hook in hooks:
        if hook.forget is not None:
            await hook.forget(forgetting)

    await session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(
            display_name=PLACEHOLDER_NAME,
            platform_user_id=FORGOTTEN_PREFIX + secrets.token_hex(12),
            email=None,
            locale=None,
            timezone=default_timezone,
            working_hours=null(),
            conversation_ref=null(),
            manager_id=None,
            snoozed_until=None,
            greeted_at=None,
            reachable=False,
            is_minor=False,
            guardian_consent_at=None,
            clearance_recorded_at=None,
            clearance_expires_at=None,
            forgotten_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    await session.flush()
    await session.refresh(person)
    for then in forgetting.after:
        await then()
    await repo.audit(
        session,
        workspace_id=person.workspace_id,
        actor_id=person.id,
        action="privacy.forget",
        target="{0}",
        people=(person,),
        at=now,
    )
    return Forgotten(pairs_ended=len(forgetting.ended))


# -- retention --------------------------------------------------------------------------------


async def purge_expired(
    session: AsyncSession,
    *,
    now: datetime,
    retention_days: int,
    hooks: Sequence[PersonalData] = (),
) -> int:
    """Delete what each hook keeps past retention: the free text of check-ins and pulses of
    programmes closed more than ``retention_days`` ago, an adapter's copies after its own
    period. Returns rows purged. Each hook touches only rows still holding text, so running
    it on every tick, or on several instances at once, purges each row once."""
    if retention_days < 0:
        raise ValueError("retention_days cannot be negative")
    retention = timedelta(days=retention_days)
    purged = 0
    for hook in hooks:
        if hook.purge is not None:
            purged += await hook.purge(session, now, retention)
    return purged
