"""Coordinators create and steer programmes; anyone can list them."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from conversations.commands import verb
from conversations.context import Context, Reply
from conversations.durations import describe_days, parse_days
from conversations.errors import UserError
from conversations.grammar import Args
from conversations.messages import Card, CardField, Message, Section
from storage import repositories as repo
from storage.models import (
    CheckIn,
    Enrolment,
    EnrolmentStatus,
    Meeting,
    MeetingOutcome,
    Pair,
    PairStatus,
    Programme,
    ProgrammeStatus,
    Role,
)

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
COORDINATING = "Running programmes"

_DONE = {"open": "opened", "launch": "launched", "close": "closed"}
_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "open": (
        (ProgrammeStatus.DRAFT,),
        ProgrammeStatus.ENROLLING,
        "is open for enrolment: people can now type join {key}",
    ),
    "launch": (
        (ProgrammeStatus.DRAFT, ProgrammeStatus.ENROLLING),
        ProgrammeStatus.ACTIVE,
        "is active: pairs move through the curriculum on its rhythm",
    ),
    "close": (
        (
            ProgrammeStatus.DRAFT,
            ProgrammeStatus.ENROLLING,
            ProgrammeStatus.ACTIVE,
            ProgrammeStatus.PAUSED,
        ),
        ProgrammeStatus.CLOSED,
        "is closed: no more agendas or nudges will be sent",
    ),
}


@verb(
    "program create",
    usage='program create <key> --curriculum <name> [--name "Display name"] '
    '[--cadence "every 2 weeks"]',
    summary="create a programme from a curriculum",
    role=Role.COORDINATOR,
    min_words=1,
    max_words=1,
    flags=("curriculum", "name", "cadence"),
    group=COORDINATING,
)
async def create(ctx: Context, args: Args) -> Reply:
    key = args.words[0].lower()
    if not KEY.match(key):
        raise UserError(
            "A programme key is 2 to 40 lower-case letters, digits or hyphens, e.g. career-2026."
        )
    curriculum_key = args.flags.get("curriculum")
    if not curriculum_key:
        raise UserError(f"Which curriculum? Choose one of: {', '.join(ctx.library.available())}.")
    curriculum = ctx.library.get(curriculum_key.lower())
    if curriculum is None:
        raise UserError(
            f"There's no curriculum called '{curriculum_key}'. "
            f"Choose one of: {', '.join(ctx.library.available())}."
        )
    if await repo.programme_by_key(ctx.session, workspace_id=ctx.workspace.id, key=key):
        raise UserError(f"There is already a programme called '{key}'. Pick another key.")
    cadence = curriculum.cadence_days
    if "cadence" in args.flags:
        try:
            cadence = parse_days(args.flags["cadence"])
        except ValueError as exc:
            raise UserError(str(exc)) from None
    name = (args.flags.get("name") or curriculum.name).strip()[:200] or curriculum.name
    programme = Programme(
        workspace_id=ctx.workspace.id,
        key=key,
        name=name,
        curriculum_key=curriculum.key,
        curriculum_version=curriculum.version,
        cadence_days=cadence,
        status=ProgrammeStatus.DRAFT,
        safeguarded=curriculum.safeguarded,
        settings={"prefer_cross_department": curriculum.matching.prefer_cross_department},
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
    )
    ctx.session.add(programme)
    await ctx.session.flush()
    await repo.audit(
        ctx.session,
        workspace_id=ctx.workspace.id,
        actor_id=ctx.actor.id,
        programme_id=programme.id,
        action="program.create",
        target=key,
        at=ctx.now,
        after={"curriculum": curriculum.key, "cadence_days": cadence, "name": name},
    )
    return [
        Message(
            text=f"Created {name} ({key}) from the {curriculum.name} curriculum: "
            f"{len(curriculum.sessions)} sessions, {describe_days(cadence)}. It's a draft; "
            f"type program open {key} when people can join.",
            kind="program_created",
        )
    ]


async def _transition(ctx: Context, args: Args, step: str) -> Reply:
    programme = await ctx.programme(args.words[0])
    allowed_from, target, outcome = _TRANSITIONS[step]
    if programme.status == target:
        raise UserError(f"Nothing to change: {programme.name} {outcome.format(key=programme.key)}.")
    if programme.status not in allowed_from:
        raise UserError(
            f"{programme.name} is {programme.status}, so it can't be {_DONE[step]} now."
        )
    before = programme.status
    programme.status = target
    if target == ProgrammeStatus.ACTIVE:
        programme.launched_at = ctx.now
    if target == ProgrammeStatus.CLOSED:
        programme.closed_at = ctx.now
        for pair in await repo.live_pairs_in(ctx.session, programme_id=programme.id):
            pair.status = PairStatus.ENDED
            pair.ended_at = ctx.now
            pair.end_reason = pair.end_reason or "programme closed"
    await repo.audit(
        ctx.session,
        workspace_id=ctx.workspace.id,
        actor_id=ctx.actor.id,
        programme_id=programme.id,
        action=f"program.{step}",
        target=programme.key,
        at=ctx.now,
        before={"status": before},
        after={"status": target},
    )
    return [
        Message(
            text=f"{programme.name} {outcome.format(key=programme.key)}.", kind=f"program_{step}"
        )
    ]


@verb(
    "program open",
    usage="program open <program>",
    summary="let people join",
    role=Role.COORDINATOR,
    min_words=1,
    max_words=1,
    group=COORDINATING,
)
async def open_(ctx: Context, args: Args) -> Reply:
    return await _transition(ctx, args, "open")


@verb(
    "program launch",
    usage="program launch <program>",
    summary="start the programme's rhythm",
    role=Role.COORDINATOR,
    min_words=1,
    max_words=1,
    group=COORDINATING,
)
async def launch(ctx: Context, args: Args) -> Reply:
    return await _transition(ctx, args, "launch")


@verb(
    "program close",
    usage="program close <program>",
    summary="end the programme",
    role=Role.COORDINATOR,
    min_words=1,
    max_words=1,
    group=COORDINATING,
)
async def close(ctx: Context, args: Args) -> Reply:
    return await _transition(ctx, args, "close")


@verb("programs", usage="programs", summary="list this workspace's programmes")
async def list_programmes(ctx: Context, args: Args) -> Reply:
    found = await repo.programmes(ctx.session, workspace_id=ctx.workspace.id)
    if not found:
        hint = " Create one with program create." if ctx.is_coordinator else ""
        return [Message(text=f"There are no programmes here yet.{hint}")]
    lines = [f"• {p.key}: {p.name} ({p.status})" for p in found]
    return [
        Message(
            text="Programmes:\n" + "\n".join(lines),
            kind="programmes",
            card=Card(header="Programmes", sections=(Section(text="\n".join(lines)),)),
        )
    ]


async def summary(ctx: Context, programme: Programme) -> Message:
    """Counts for coordinators: statuses and numbers, never anyone's private words."""
    enrolled = dict(
        (
            await ctx.session.execute(
                select(Enrolment.side, func.count(Enrolment.id))
                .where(
                    Enrolment.programme_id == programme.id, Enrolment.status != EnrolmentStatus.LEFT
                )
                .group_by(Enrolment.side)
            )
        ).all()
    )
    pairs = dict(
        (
            await ctx.session.execute(
                select(Pair.status, func.count(Pair.id))
                .where(Pair.programme_id == programme.id)
                .group_by(Pair.status)
            )
        ).all()
    )
    met = (
        await ctx.session.scalar(
            select(func.count(Meeting.id))
            .join(Pair, Pair.id == Meeting.pair_id)
            .where(Pair.programme_id == programme.id, Meeting.outcome == MeetingOutcome.MET)
        )
        or 0
    )
    rating = await ctx.session.scalar(
        select(func.avg(CheckIn.rating))
        .join(Pair, Pair.id == CheckIn.pair_id)
        .where(Pair.programme_id == programme.id)
    )
    checkins = (
        await ctx.session.scalar(
            select(func.count(CheckIn.id))
            .join(Pair, Pair.id == CheckIn.pair_id)
            .where(Pair.programme_id == programme.id)
        )
        or 0
    )
    fields = (
        CardField(label="Status", value=str(programme.status)),
        CardField(
            label="Enrolled",
            value=f"{enrolled.get('mentor', 0)} mentors, {enrolled.get('mentee', 0)} mentees",
        ),
        CardField(
            label="Pairs",
            value=f"{pairs.get('active', 0)} active, "
            f"{pairs.get('paused', 0)} paused, {pairs.get('ended', 0)} ended",
        ),
        CardField(label="Meetings logged", value=str(met)),
        CardField(label="Check-ins", value=str(checkins)),
        CardField(
            label="Average rating",
            value=f"{float(rating):.1f} / 5" if rating is not None else "none yet",
        ),
    )
    text = f"{programme.name} ({programme.key}): " + "; ".join(
        f"{f.label.lower()} {f.value}" for f in fields
    )
    return Message(
        text=text,
        kind="programme_status",
        card=Card(header=f"{programme.name}", sections=(Section(fields=fields),)),
    )
