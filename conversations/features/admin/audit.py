"""``audit``: what coordinators did, when, and what changed."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.features.admin import entries
from conversations.features.programmes.commands import COORDINATING
from conversations.kinds import Kind
from conversations.messages import Card, Message, Section
from conversations.registry import verb
from storage.models import AuditEntry, Person, Role

PAGE = 20


def _word(value: object) -> str:
    """A recorded value as a person writes it: yes and no, not True and False."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else str(value)


def _change(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    def key(k: str) -> str:
        return k.replace("_", " ")  # a field name, as words ("cadence days")

    if before and after:
        keys = sorted(set(before) | set(after))
        return ", ".join(f"{key(k)}: {_word(before.get(k))} → {_word(after.get(k))}" for k in keys)
    if after:
        return ", ".join(f"{key(k)}: {_word(v)}" for k, v in sorted(after.items()))
    if before:
        return "removed " + ", ".join(f"{key(k)}: {_word(v)}" for k, v in sorted(before.items()))
    return ""


@verb(
    "audit",
    summary="recent coordinator actions: who, what, when, before and after",
    role=Role.COORDINATOR,
    arguments=(arg.programme(optional=True),),
    options=(
        arg.flag(
            arg.number(
                "limit",
                low=1,
                high=200,
                label="N",
                problem="--limit must be a whole number from 1 to 200.",
            )
        ),
    ),
    group=COORDINATING,
)
async def show(ctx: Context, args: Args) -> Reply:
    limit = PAGE if args.limit is None else args.limit
    actor = aliased(Person)
    query = (
        select(AuditEntry, actor)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .where(
            AuditEntry.workspace_id == ctx.workspace.id,
            # nobody sees how they themselves were handled (a concern about their pair, a
            # block, a stall), even a coordinator: what others did about them stays out
            or_(
                AuditEntry.actor_id == ctx.actor.id,
                AuditEntry.actor_id.is_(None),
                AuditEntry.id.not_in(entries.about(ctx.actor.id)),
            ),
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    title = "Recent coordinator actions"
    if args.program is not None:
        programme = await ctx.programme(args.program)
        query = query.where(AuditEntry.programme_id == programme.id)
        title = f"Recent actions in {programme.name}"
    rows = (await ctx.session.execute(query)).all()
    if not rows:
        return [Message(text="Nothing has been recorded yet.", kind=Kind.AUDIT)]
    by = {entry.id: person for entry, person in rows}
    lines = []
    for named in await entries.named(ctx.session, (entry for entry, _ in rows)):
        entry, person = named.entry, by[named.entry.id]
        who = person.label if person is not None else "the server's operator"
        when = entry.created_at.strftime("%Y-%m-%d %H:%M UTC")
        change = _change(named.before, named.after)
        target = f" {named.target}" if entry.target else ""
        lines.append(
            f"• {when} · {who} · {entry.action}{target}" + (f" ({change})" if change else "")
        )
    text = "\n".join(lines)
    return [
        Message(
            text=f"{title}:\n{text}",
            kind=Kind.AUDIT,
            card=Card(header=title, sections=(Section(text=text),)),
        )
    ]
