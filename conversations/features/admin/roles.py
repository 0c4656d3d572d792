"""Granting and revoking workspace roles."""

from __future__ import annotations

from sqlalchemy import select

from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.grammar import Args
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import verb
from storage import repositories as repo
from storage.models import Role, RoleGrant

ADMIN = "Running programmes"


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


def _role(word: str) -> Role:
    try:
        return Role(word.lower())
    except ValueError:
        raise UserError(
            f"'{word}' isn't a role. Roles: {', '.join(r.value for r in Role)}."
        ) from None


@verb(
    "admin grant",
    usage="admin grant @person coordinator|executive|safeguarding",
    summary="give someone a role",
    role=Role.COORDINATOR,
    min_words=2,
    max_words=2,
    group=ADMIN,
)
async def grant(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.words[0])
    role = _role(args.words[1])
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
    await ctx.audit("role.grant", target=person.label, after={"role": str(role)})
    return [Message(text=f"{person.label} is now {_a(role)}.", kind=Kind.ROLE_GRANTED)]


@verb(
    "admin revoke",
    usage="admin revoke @person coordinator|executive|safeguarding",
    summary="take a role away",
    role=Role.COORDINATOR,
    min_words=2,
    max_words=2,
    group=ADMIN,
)
async def revoke(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.words[0])
    role = _role(args.words[1])
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
    await ctx.audit("role.revoke", target=person.label, before={"role": str(role)})
    return [Message(text=f"{person.label} is no longer {_a(role)}.", kind=Kind.ROLE_REVOKED)]
