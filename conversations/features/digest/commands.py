"""Subscribing executives to the weekly digest."""

from __future__ import annotations

from sqlalchemy import select

from conversations import arguments as arg
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.errors import NotAllowed, UserError
from conversations.features.digest import digest
from conversations.features.programmes.commands import COORDINATING
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import verb
from storage.models import DigestSubscription, Role

_WHEN = "Say the day and local time like mon 08:00."


@verb(
    "digest subscribe",
    summary="send someone the weekly digest at their local time",
    role=Role.COORDINATOR,
    arguments=(
        arg.person(),
        arg.programme(optional=True, also=("all",)),
        arg.choice("day", *digest.DAYS, label="mon", optional=True, default="mon", problem=_WHEN),
        arg.word(
            "at",
            label="08:00",
            optional=True,
            joined=True,
            pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
            problem=_WHEN,
        ),
    ),
    group=COORDINATING,
)
async def subscribe(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    scope = (args.program or "all").lower()
    day, at = args.day, args.at or "08:00"
    programme = None if scope == "all" else await ctx.programme(scope)
    existing = await ctx.session.scalar(
        select(DigestSubscription).where(
            DigestSubscription.person_id == person.id,
            DigestSubscription.programme_id.is_(None)
            if programme is None
            else DigestSubscription.programme_id == programme.id,
        )
    )
    subscription = existing or DigestSubscription(
        workspace_id=ctx.workspace.id,
        person_id=person.id,
        programme_id=programme.id if programme else None,
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
    )
    subscription.weekday = digest.DAYS.index(day)
    subscription.local_time = at
    subscription.next_at = digest.next_send(
        weekday=subscription.weekday, local_time=at, timezone=person.timezone, after=ctx.now
    )
    if existing is None:
        ctx.session.add(subscription)
    await ctx.audit(
        "digest.subscribe",
        programme=programme,
        target="{0}",
        people=(person,),
        after={"scope": scope, "when": f"{day} {at}"},
    )
    what = programme.name if programme else "all programmes"
    return [
        Message(
            text=f"{person.label} will get the weekly digest for {what} every "
            f"{day.capitalize()} at {at} their time ({person.timezone}).",
            kind=Kind.DIGEST_SUBSCRIBED,
        )
    ]


@verb(
    "digest unsubscribe",
    summary="stop a weekly digest (anyone can stop their own)",
    arguments=(arg.person(optional=True), arg.programme(optional=True, also=("all",))),
    group="Taking part",
)
async def unsubscribe(ctx: Context, args: Args) -> Reply:
    person = ctx.actor if args.person is None else await ctx.person(args.person)
    if person.id != ctx.actor.id and not ctx.is_coordinator:
        raise NotAllowed(
            "Only coordinators can stop someone else's digest; you can stop "
            "your own with digest unsubscribe."
        )
    query = select(DigestSubscription).where(DigestSubscription.person_id == person.id)
    if args.program not in (None, "all"):
        programme = await ctx.programme(args.program)
        query = query.where(DigestSubscription.programme_id == programme.id)
    found = list(await ctx.session.scalars(query))
    if not found:
        raise UserError(f"{person.label} isn't subscribed to a digest.")
    for subscription in found:
        await ctx.session.delete(subscription)
    await ctx.audit(
        "digest.unsubscribe", target="{0}", people=(person,), after={"removed": len(found)}
    )
    return [
        Message(
            text=(
                f"Stopped the weekly digest for {person.label}."
                if len(found) == 1
                else f"Stopped {len(found)} weekly digests for {person.label}."
            ),
            kind=Kind.DIGEST_UNSUBSCRIBED,
        )
    ]


@verb(
    "digest preview",
    summary="see the next weekly digest before it goes out",
    role=Role.COORDINATOR,
    arguments=(arg.programme(optional=True),),
    group=COORDINATING,
)
async def preview(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program) if args.program is not None else None
    message = await digest.compose(
        ctx.session,
        workspace_id=ctx.workspace.id,
        programme_id=programme.id if programme else None,
        timezone=ctx.actor.timezone,
        now=ctx.now,
        min_group=ctx.settings.digest_min_group,
    )
    if message is None:
        raise UserError(
            "There is nothing to report yet: a digest covers programmes that have opened."
        )
    return [
        message.model_copy(
            update={"text": "Preview, as executives would see it now:\n" + message.text}
        )
    ]
