"""Quiet days: a workspace's holidays, when no nudge is sent to anyone."""

from __future__ import annotations

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import UserError
from conversations.features.programmes.commands import COORDINATING
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import verb
from storage.models import Role


def _days(ctx: Context) -> list[str]:
    return sorted(str(d) for d in ctx.workspace.settings.get("quiet_days", []))


@verb(
    "quiet",
    summary="the workspace's quiet days (holidays): no nudges on them",
    role=Role.COORDINATOR,
    arguments=(
        arg.choice(
            "change",
            "add",
            "remove",
            optional=True,
            problem="Say quiet add <date> or quiet remove <date>.",
        ),
        arg.day("day", optional=True, joined=True),
    ),
    group=COORDINATING,
)
async def quiet(ctx: Context, args: Args) -> Reply:
    days = _days(ctx)
    if args.change is None:
        shown = ", ".join(days) if days else "none yet"
        return [
            Message(
                text=f"Quiet days: {shown}. Add one with quiet add 2026-12-25.",
                kind=Kind.QUIET_DAYS,
            )
        ]
    day = str(args.day)
    before = list(days)
    if args.change == "add":
        if day in days:
            raise UserError(f"{day} is already a quiet day.")
        days.append(day)
    else:
        if day not in days:
            raise UserError(f"{day} isn't a quiet day.")
        days.remove(day)
    ctx.workspace.settings = {**ctx.workspace.settings, "quiet_days": sorted(days)}
    await ctx.audit("quiet-days", target=day, before={"days": before}, after={"days": sorted(days)})
    return [
        Message(
            text=f"Quiet days: {', '.join(sorted(days)) or 'none'}. Nudges due on "
            "them wait for the next working day.",
            kind=Kind.QUIET_DAYS,
        )
    ]
