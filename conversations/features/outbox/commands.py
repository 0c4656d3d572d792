"""``outbox``: what is waiting to be sent, failed or was skipped, and a way to try again.

Nothing is dropped silently: a message that failed every attempt stays here,
with the platform's reason, until a coordinator retries it; one skipped (no longer
true when its time came, or for a workspace the app had been removed from) says why.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select, update

from conversations import arguments as arg
from conversations import codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.counting import counted
from conversations.errors import NotAllowed, UserError
from conversations.features.outbox.personal import addressed_to
from conversations.features.programmes.commands import COORDINATING
from conversations.inbound import whole_number
from conversations.kinds import Kind
from conversations.messages import Button, Card, CardField, Message, Section
from conversations.personal_data import outbox_rows_naming, pair_ids_of
from conversations.registry import action, verb
from storage.models import OutboxMessage, OutboxStatus, Person, Role

SHOWN = 10


def _words(kind: str) -> str:
    try:
        return Kind(kind).words
    except ValueError:  # a kind from an older version, no longer known
        return kind.replace("_", " ")


def _not_about_them(ctx: Context) -> ColumnElement[bool]:
    """Nobody sees, or retries, messages about a pair they are in (a concern card, a block
    or stall notice) that were meant for others: what is addressed to them, they may see."""
    me = ctx.actor.id
    return or_(addressed_to(me, pair_ids_of(me)), OutboxMessage.id.not_in(outbox_rows_naming(me)))


async def _counts(ctx: Context) -> dict[str, int]:
    rows = await ctx.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.workspace_id == ctx.workspace.id)
        .group_by(OutboxMessage.status)
    )
    return {str(status): int(n) for status, n in rows.all()}


async def _who(ctx: Context, row: OutboxMessage) -> str:
    if row.channel:
        return f"#{row.channel}"
    if row.person_id:
        person = await ctx.session.get(Person, row.person_id)
        return person.label if person else "someone"
    return "a pair"


@verb(
    "outbox",
    summary="messages waiting, failed or skipped, with reasons",
    role=Role.COORDINATOR,
    arguments=(
        arg.choice(
            "which",
            "failed",
            "pending",
            "skipped",
            optional=True,
            aliases={"dead": "failed"},
            default="failed",
            problem="Show failed, pending or skipped messages: outbox failed, outbox pending, "
            "outbox skipped.",
        ),
    ),
    group=COORDINATING,
)
async def show(ctx: Context, args: Args) -> Reply:
    which: str = args.which
    status = {
        "failed": OutboxStatus.DEAD,
        "pending": OutboxStatus.PENDING,
        "skipped": OutboxStatus.SKIPPED,
    }[which]
    counts = await _counts(ctx)
    rows = (
        await ctx.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == ctx.workspace.id,
                OutboxMessage.status == status,
                _not_about_them(ctx),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(SHOWN)
        )
    ).all()
    summary = (
        f"{counts.get('pending', 0) + counts.get('sending', 0)} waiting, "
        f"{counts.get('sent', 0)} sent, {counts.get('skipped', 0)} skipped, "
        f"{counts.get('dead', 0)} failed."
    )
    fields = []
    for row in rows:
        reason = f": {row.last_error}" if row.last_error else ""
        when = row.not_before.strftime("%Y-%m-%d %H:%M UTC")
        if status == OutboxStatus.PENDING:
            value = f"{counted(row.attempts, 'attempt')}, next {when}{reason}"
        elif status == OutboxStatus.SKIPPED:
            value = row.last_error or "no longer needed"
        else:
            value = f"{counted(row.attempts, 'attempt')}{reason}"
        fields.append(
            CardField(label=f"#{row.id} {_words(row.kind)} to {await _who(ctx, row)}", value=value)
        )
    lines = "\n".join(f"• {f.label}: {f.value}" for f in fields) or "Nothing here."
    buttons = (
        tuple(
            Button(
                label=f"Retry #{row.id}", action="outbox.retry", value=codec.Ref(row.id).encode()
            )
            for row in rows[:4]
        )
        if status == OutboxStatus.DEAD
        else ()
    )
    if status == OutboxStatus.DEAD and rows:
        buttons += (Button(label="Retry all", action="outbox.retry", value="all", style="primary"),)
    return [
        Message(
            text=f"Outbox: {summary}\n{which.capitalize()}:\n{lines}",
            kind=Kind.OUTBOX,
            card=Card(
                header="Outbox",
                sections=(
                    Section(text=summary),
                    Section(text=f"*{which.capitalize()}*", fields=tuple(fields)),
                ),
                buttons=buttons,
            ),
        )
    ]


async def _retry(ctx: Context, which: str) -> Reply:
    query = update(OutboxMessage).where(
        OutboxMessage.workspace_id == ctx.workspace.id,
        OutboxMessage.status == OutboxStatus.DEAD,
        _not_about_them(ctx),
    )
    if which != "all":
        number = whole_number(which.lstrip("#"))
        if number is None:
            raise UserError(
                "Retry a message by its number (outbox retry 12) or all of them (outbox retry all)."
            )
        query = query.where(OutboxMessage.id == number)
    result = await ctx.session.execute(
        query.values(
            status=OutboxStatus.PENDING,
            attempts=0,
            not_before=ctx.now,
            leased_by=None,
            lease_expires_at=None,
        ).execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count == 0:
        raise UserError("There's no failed message with that number.")
    await ctx.audit("outbox.retry", target=which, after={"messages": count})
    them = "1 message" if count == 1 else f"{count} messages"
    return [Message(text=f"Queued {them} to try again.", kind=Kind.OUTBOX_RETRIED)]


@verb(
    "outbox retry",
    summary="try failed messages again",
    role=Role.COORDINATOR,
    arguments=(
        arg.number(
            "which",
            label="number",
            also=("all",),
            problem="Retry a message by its number (outbox retry 12) or all of them "
            "(outbox retry all).",
        ),
    ),
    group=COORDINATING,
)
async def retry(ctx: Context, args: Args) -> Reply:
    return await _retry(ctx, str(args.which))


@action("outbox.retry")
async def press_retry(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    if not ctx.is_coordinator:
        raise NotAllowed("Only coordinators can do that.")
    return await _retry(ctx, value if value == "all" else str(codec.Ref.decode(value).id))
