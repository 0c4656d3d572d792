"""Granting and revoking workspace roles."""

from __future__ import annotations

from sqlalchemy import select

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import verb
from storage import repositories as repo
from storage.models import Role, RoleGrant

ADMIN = "Running programmes"


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


ROLE = arg.choice(
    "role",
    *(r.value for r in Role),
    problem=f"'{{word}}' isn't a role. Roles: {', '.join(r.value for r in Role)}.",
)


@verb(
    "admin grant",
    summary="give someone a role",
    role=Role.COORDINATOR,
    arguments=(arg.person(), ROLE),
    group=ADMIN,
)
async def grant(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    role = Role(args.role)
    if role in await repo.roles_of(ctx.session, person):
        return [Message(text=f"{person.label} is already {_a(role)}.")]
    ctx.session.add(
        RoleGrant(
            workspace_id=ctx.workspace.id,
            person_id=person.id,
            role=role,
            granted_by_id=ctx.actor.id,
            granted_at=ctx.now,
        )
    )
    await ctx.audit("role.grant", target="{0}", people=(person,), after={"role": str(role)})
    return [Message(text=f"{person.label} is now {_a(role)}.", kind=Kind.ROLE_GRANTED)]


@verb(
    "admin revoke",
    summary="take a role away",
    role=Role.COORDINATOR,
    arguments=(arg.person(), ROLE),
    group=ADMIN,
)
async def revoke(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    role = Role(args.role)
    grant_row = await ctx.session.scalar(
        select(RoleGrant).where(
            RoleGrant.workspace_id == ctx.workspace.id,
            RoleGrant.person_id == person.id,
            RoleGrant.role == role,
        )
    )
    if grant_row is None:
        return [Message(text=f"{person.label} isn't {_a(role)}, so there's nothing to revoke.")]
    if role == Role.COORDINATOR:
        coordinators = await repo.people_with_role(
            ctx.session, workspace_id=ctx.workspace.id, role=Role.COORDINATOR
        )
        if len(coordinators) <= 1:
            raise UserError(
                "That would leave nobody to run the bot here. Grant another coordinator first."
            )
    await ctx.session.delete(grant_row)
    await ctx.audit("role.revoke", target="{0}", people=(person,), before={"role": str(role)})
    return [Message(text=f"{person.label} is no longer {_a(role)}.", kind=Kind.ROLE_REVOKED)]
