"""Subscribing executives to the weekly digest."""

from __future__ import annotations

import re

from sqlalchemy import select

from conversations.context import Context, Reply
from conversations.errors import NotAllowed, UserError
from conversations.features.digest import digest
from conversations.features.programmes.commands import COORDINATING
from conversations.grammar import Args
from conversations.kinds import Kind
from conversations.messages import Message
from conversations.registry import verb
from storage.models import DigestSubscription, Role

_WHEN = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@verb(
    "digest subscribe",
    usage="digest subscribe @person [program|all] [mon 08:00]",
    summary="send someone the weekly digest at their local time",
    role=Role.COORDINATOR,
    min_words=1,
    max_words=4,
    group=COORDINATING,
)
async def subscribe(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.words[0])
    rest = [w.lower() for w in args.words[1:]]
    if rest and rest[0] == "weekly":
        rest = rest[1:]
    scope = "all"
    if rest and not _WHEN.match(rest[0]):
        scope = rest.pop(0)
        if scope == "weekly" and rest:
            scope = "all"
    if rest and rest[0] == "weekly":
        rest = rest[1:]
    day, at = "mon", "08:00"
    if rest:
        if not _WHEN.match(rest[0]) or len(rest) != 2 or not _TIME.match(rest[1]):
            raise UserError(
                "Say the day and local time like mon 08:00.",
                usage="digest subscribe @person [program|all] [mon 08:00]",
            )
        day, at = rest
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
        target=person.label,
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
    usage="digest unsubscribe [@person] [program|all]",
    summary="stop a weekly digest (anyone can stop their own)",
    max_words=2,
    group="Taking part",
)
async def unsubscribe(ctx: Context, args: Args) -> Reply:
    words = list(args.words)
    person = ctx.actor
    if words and words[0].startswith(("<@", "@")):
        person = await ctx.person(words.pop(0))
    if person.id != ctx.actor.id and not ctx.is_coordinator:
        raise NotAllowed(
            "Only coordinators can stop someone else's digest; you can stop "
            "your own with digest unsubscribe."
        )
    query = select(DigestSubscription).where(DigestSubscription.person_id == person.id)
    if words and words[0].lower() != "all":
        programme = await ctx.programme(words[0])
        query = query.where(DigestSubscription.programme_id == programme.id)
    found = list(await ctx.session.scalars(query))
    if not found:
        raise UserError(f"{person.label} isn't subscribed to a digest.")
    for subscription in found:
        await ctx.session.delete(subscription)
    await ctx.audit("digest.unsubscribe", target=person.label, after={"removed": len(found)})
    return [
        Message(
            text=f"Stopped {len(found)} weekly digest(s) for {person.label}.",
            kind=Kind.DIGEST_UNSUBSCRIBED,
        )
    ]


@verb(
    "digest preview",
    usage="digest preview [program]",
    summary="see the next weekly digest before it goes out",
    role=Role.COORDINATOR,
    max_words=1,
    group=COORDINATING,
)
async def preview(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.words[0]) if args.words else None
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
