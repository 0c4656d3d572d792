"""What the programme team's records keep about a person: their roles, and the audit log
of what they did and what was done about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from conversations.personal_data import (
    iso,
    may_mention,
    name_pattern,
    needles,
    replacer,
    scrub_mentions,
)
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


async def _scrub_audit(forgetting: Forgetting) -> None:
    """Entries stay (what was done stays true); mentions of them become the placeholder."""
    if forgetting.names is None:
        return
    await scrub_mentions(
        forgetting.session,
        model=AuditEntry,
        columns=(AuditEntry.target, AuditEntry.before, AuditEntry.after),
        workspace_id=forgetting.person.workspace_id,
        needles=forgetting.needles,
        replace=replacer(forgetting.names, sentences=False),
    )


@personal_data("audit_log", forget=_scrub_audit, order=80)
async def audit_log(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    """What they did, and what was done to them, except confidential records others made."""
    found_needles = needles(person)
    names = name_pattern(found_needles)
    clauses: list[ColumnElement[bool]] = [AuditEntry.actor_id == person.id]
    if names is not None:
        clauses.append(may_mention(AuditEntry.target, found_needles))
    actor = aliased(Person, name="actor")
    rows = await session.execute(
        select(AuditEntry, Programme.key, actor.display_name, actor.platform_user_id)
        .outerjoin(Programme, Programme.id == AuditEntry.programme_id)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .where(AuditEntry.workspace_id == person.workspace_id, or_(*clauses))
        .order_by(AuditEntry.id)
    )
    found = []
    for entry, key, actor_name, actor_id in rows:
        by_them = entry.actor_id == person.id
        if not by_them and (
            names is None or not names.search(entry.target) or _confidential(entry.action)
        ):
            continue
        found.append(
            {
                "action": entry.action,
                "by": "you" if by_them else (actor_name or actor_id or "the bot"),
                "target": entry.target,
                "programme": key,
                "before": entry.before,
                "after": entry.after,
                "at": iso(entry.created_at),
            }
        )
    return found
