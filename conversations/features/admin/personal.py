"""What the programme team's records keep about a person: their roles, and the audit log
of what they did and what was done about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from conversations.features.admin import entries
from conversations.personal_data import iso
from conversations.registry import Forgetting, personal_data
from storage.models import AuditEntry, Person, Programme, RoleGrant

CONFIDENTIAL_ACTIONS = ("concern", "do-not-pair", "safeguarding", "block")
"""Audit actions that would reveal what someone else reported or asked for in confidence:
left out of a copy unless the person themselves did them."""


async def _revoke(forgetting: Forgetting) -> None:
    await forgetting.session.execute(
        delete(RoleGrant)
        .where(RoleGrant.person_id == forgetting.person.id)
        .execution_options(synchronize_session=False)
    )


@personal_data("roles", forget=_revoke, order=10)
async def roles(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(RoleGrant).where(RoleGrant.person_id == person.id).order_by(RoleGrant.id)
    )
    return [{"role": r.role, "granted_at": iso(r.granted_at)} for r in rows]


def _confidential(action: str) -> bool:
    return action.startswith(CONFIDENTIAL_ACTIONS)


@personal_data("audit_log", order=80)
async def audit_log(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    """What they did, and what was done about them (found by id: entries name people by
    id, see ``entries``), except confidential records others made. Nothing is rewritten
    when they are forgotten: the entries name them as they are called then."""
    actor = aliased(Person, name="actor")
    rows = await session.execute(
        select(AuditEntry, Programme.key, actor)
        .outerjoin(Programme, Programme.id == AuditEntry.programme_id)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .where(
            AuditEntry.workspace_id == person.workspace_id,
            or_(AuditEntry.actor_id == person.id, AuditEntry.id.in_(entries.about(person.id))),
        )
        .order_by(AuditEntry.id)
    )
    found = []
    listed = rows.all()
    context = {entry.id: (key, by) for entry, key, by in listed}
    for named in await entries.named(session, (entry for entry, _, _ in listed)):
        entry = named.entry
        key, by = context[entry.id]
        by_them = entry.actor_id == person.id
        if not by_them and _confidential(entry.action):
            continue
        found.append(
            {
                "action": entry.action,
                "by": "you"
                if by_them
                else (by.label if by is not None else "the server's operator"),
                "target": named.target,
                "programme": key,
                "before": named.before,
                "after": named.after,
                "at": iso(entry.created_at),
            }
        )
    return found
