"""Coordinators create and steer programmes; anyone can list them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from conversations import arguments as arg
from conversations import cards, codec
from conversations.arguments import Args
from conversations.codec import channel_shown
from conversations.context import Context, Reply
from conversations.counting import counted
from conversations.durations import describe, describe_days
from conversations.errors import UserError
from conversations.features.conduct import conduct
from conversations.features.enrolment import standing
from conversations.features.pairing import journeys, lifecycle, tally
from conversations.features.programmes.holds import programme_open
from conversations.grammar import MAX_COMMAND_LENGTH, channel_ref
from conversations.kinds import Kind
from conversations.messages import Button, Card, CardField, Message, Section
from conversations.outbox import Outbox
from conversations.registry import Handler, home, verb
from storage import repositories as repo
from storage.models import (
    CheckIn,
    EndReason,
    Enrolment,
    EnrolmentStatus,
    Pair,
    PairStatus,
    Programme,
    ProgrammeStatus,
    Role,
    Side,
)

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
COORDINATING = "Running programmes"

RUNNING = repo.RUNNING_PROGRAMMES


@dataclass(frozen=True, slots=True)
class Step:
    allowed_from: tuple[str, ...]
    done: str
    outcome: str


STEPS = {
    "open": Step(
        (ProgrammeStatus.DRAFT,), "opened", "is open for enrolment: people can now type join {key}"
    ),
    "launch": Step(
        (ProgrammeStatus.DRAFT, ProgrammeStatus.ENROLLING),
        "launched",
        "is active: pairs move through the curriculum on its rhythm",
    ),
    "pause": Step(RUNNING, "paused", "is paused: no agendas or nudges until you resume it"),
    "resume": Step((ProgrammeStatus.PAUSED,), "resumed", "is running again"),
    "close": Step(
        (ProgrammeStatus.DRAFT, *RUNNING, ProgrammeStatus.PAUSED),
        "closed",
        "is closed: no more agendas or nudges will be sent",
    ),
}


def _target(programme: Programme, step: str) -> str:
    if step == "resume":
        return str(programme.settings.get("paused_from", ProgrammeStatus.ACTIVE))
    return {
        "open": ProgrammeStatus.ENROLLING,
        "launch": ProgrammeStatus.ACTIVE,
        "pause": ProgrammeStatus.PAUSED,
        "close": ProgrammeStatus.CLOSED,
    }[step]


CADENCE = arg.flag(arg.rhythm("cadence"))
"""How often a programme's sessions come, in days (``--cadence every 2 weeks``)."""
CHOICE_WINDOW = timedelta(days=1), timedelta(days=30)
"""The shortest and longest time a mentor has to answer a mentee's request."""


@verb(
    "program create",
    summary="create a programme from a curriculum",
    role=Role.COORDINATOR,
    arguments=(arg.word("key"),),
    options=(
        arg.flag(arg.word("curriculum"), label="<name>", needed=True),
        arg.flag(arg.text("name", label='"Display name"', longest=MAX_COMMAND_LENGTH)),
        CADENCE,
    ),
    group=COORDINATING,
)
async def create(ctx: Context, args: Args) -> Reply:
    key = args.key.lower()
    if not KEY.match(key):
        raise UserError(
            "A programme key is 2 to 40 lower-case letters, digits or hyphens, e.g. career-2026."
        )
    curriculum_key = args.curriculum
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
    cadence = curriculum.cadence_days if args.cadence is None else args.cadence
    name = (args.name or curriculum.name).strip()[:200] or curriculum.name
    programme = Programme(
        workspace_id=ctx.workspace.id,
        key=key,
        name=name,
        curriculum_key=curriculum.key,
        curriculum_version=curriculum.version,
        cadence_days=cadence,
        status=ProgrammeStatus.DRAFT,
        safeguarded=curriculum.safeguarded,
        settings={"departments": "cross" if curriculum.matching.prefer_cross_department else "any"},
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
    )
    ctx.session.add(programme)
    await ctx.session.flush()
    await ctx.audit(
        "program.create",
        programme=programme,
        target=key,
        after={"curriculum": curriculum.key, "cadence_days": cadence, "name": name},
    )
    return [
        Message(
            text=f"Created {name} ({key}) from the {curriculum.name} curriculum: "
            f"{len(curriculum.sessions)} sessions, {describe_days(cadence)}. It's a draft; "
            f"type program open {key} when people can join.",
            kind=Kind.PROGRAM_CREATED,
        )
    ]


async def _transition(ctx: Context, programme: Programme, step: str) -> str:
    rule = STEPS[step]
    target = _target(programme, step)
    if programme.status == target:
        raise UserError(
            f"Nothing to change: {programme.name} {rule.outcome.format(key=programme.key)}."
        )
    if programme.status not in rule.allowed_from:
        raise UserError(f"{programme.name} is {programme.status}, so it can't be {rule.done} now.")
    before = programme.status
    if step == "pause":
        programme.settings = {**programme.settings, "paused_from": before}
    programme.status = target
    if target == ProgrammeStatus.ACTIVE and programme.launched_at is None:
        programme.launched_at = ctx.now
    if step == "resume":
        # The pause should not count against pairs: their current session starts afresh.
        for pair in await repo.live_pairs_in(ctx.session, programme_id=programme.id):
            if pair.status == PairStatus.ACTIVE:
                lifecycle.restart(pair, programme=programme, now=ctx.now)
    if target == ProgrammeStatus.CLOSED:
        programme.closed_at = ctx.now
        for pair in await repo.live_pairs_in(ctx.session, programme_id=programme.id):
            lifecycle.end(pair, reason=EndReason.PROGRAMME_CLOSED, now=ctx.now)
    await ctx.audit(
        f"program.{step}",
        programme=programme,
        target=programme.key,
        before={"status": before},
        after={"status": target},
    )
    return f"{programme.name} {rule.outcome.format(key=programme.key)}."


async def _announce(ctx: Context, programme: Programme, word: str) -> str:
    channel = channel_ref(word)
    if channel is None:
        shown = word if len(word) <= 60 else word[:60] + "…"
        raise UserError(f"'{shown}' doesn't look like a channel. Mention it with #, e.g. #general.")
    curriculum = ctx.curriculum(programme)
    message = Message(
        text=f"{programme.name} is open. {curriculum.description} Type join {programme.key} "
        "to take part.",
        card=Card(
            header=f"Join {programme.name}",
            sections=(
                Section(text=curriculum.description),
                Section(
                    fields=(
                        CardField(label="Who it's for", value=curriculum.audience),
                        CardField(
                            label="Rhythm",
                            value=f"{describe_days(programme.cadence_days)}, "
                            f"{len(curriculum.sessions)} sessions",
                        ),
                    )
                ),
            ),
            buttons=(
                Button(
                    label="Join as a mentee",
                    action="join.start",
                    value=codec.JoinStart(programme.key, "mentee").encode(),
                    style="primary",
                ),
                Button(
                    label="Join as a mentor",
                    action="join.start",
                    value=codec.JoinStart(programme.key, "mentor").encode(),
                ),
            ),
        ),
        kind=Kind.ANNOUNCEMENT,
    )
    stamp = ctx.now.strftime("%Y%m%dT%H%M%S")
    await Outbox(ctx.session, ctx.now).to_channel(
        ctx.workspace.id,
        channel,
        message,
        key=f"announce:{programme.id}:{channel}:{stamp}",
        holds=(programme_open(programme),),
    )

    await ctx.audit("program.announce", programme=programme, target=f"#{channel}")
    return f"Announced {programme.name} in {channel_shown(word)} with Join buttons."


@verb(
    "program open",
    summary="let people join, announcing it in a channel",
    role=Role.COORDINATOR,
    arguments=(arg.programme(), arg.channel(optional=True)),
    group=COORDINATING,
)
async def open_(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    said = await _transition(ctx, programme, "open")
    if args.channel is not None:
        said += " " + await _announce(ctx, programme, args.channel)
    return [Message(text=said, kind=Kind.PROGRAM_OPEN)]


@verb(
    "program announce",
    summary="post the Join announcement (again) in a channel",
    role=Role.COORDINATOR,
    arguments=(arg.programme(), arg.channel()),
    group=COORDINATING,
)
async def announce(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    if programme.status not in RUNNING:
        raise UserError(f"{programme.name} is {programme.status}; open it first.")
    return [Message(text=await _announce(ctx, programme, args.channel), kind=Kind.ANNOUNCED)]


def _step_verb(step: str, summary: str) -> Handler:
    """One verb per lifecycle step (``program launch``…), declared alike."""

    async def handler(ctx: Context, args: Args) -> Reply:
        programme = await ctx.programme(args.program)
        return [Message(text=await _transition(ctx, programme, step), kind=Kind(f"program_{step}"))]

    return verb(
        f"program {step}",
        summary=summary,
        role=Role.COORDINATOR,
        arguments=(arg.programme(),),
        group=COORDINATING,
    )(handler)


program_launch = _step_verb("launch", "start the programme's rhythm")
program_pause = _step_verb("pause", "hold every agenda and nudge")
program_resume = _step_verb("resume", "carry on after a pause")
program_close = _step_verb("close", "end the programme")


@verb(
    "program status",
    summary="counts: enrolled, matched, active, stalled, ended",
    role=Role.COORDINATOR,
    arguments=(arg.programme(),),
    group=COORDINATING,
)
async def programme_status(ctx: Context, args: Args) -> Reply:
    return [await summary(ctx, await ctx.programme(args.program))]


@verb(
    "program set",
    summary="change how a programme matches and runs",
    role=Role.COORDINATOR,
    arguments=(arg.programme(),),
    options=(
        arg.flag(
            arg.choice(
                "matching",
                "proposal",
                "choice",
                problem="--matching is proposal (you review pairs) or choice (mentees "
                "choose among suggestions).",
            )
        ),
        arg.flag(
            arg.choice(
                "departments",
                "cross",
                "same",
                "any",
                problem="--departments is cross (prefer different departments), same, or any.",
            )
        ),
        arg.flag(arg.duration("choice-window", label="3d", days="The choice window")),
        arg.flag(arg.text("name", label='"..."', longest=MAX_COMMAND_LENGTH)),
        CADENCE,
    ),
    group=COORDINATING,
)
async def configure(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    if not args.options:
        raise UserError("Say what to change, e.g. program set career --matching choice.")
    settings = dict(programme.settings)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    said: list[str] = []
    changes: dict[str, object] = {}
    if args.matching is not None:
        changes["matching"] = args.matching
        said.append(f"matching: {args.matching}")
    if args.departments is not None:
        changes["departments"] = args.departments
        said.append(f"departments: {args.departments}")
    if args.choice_window is not None:
        window: timedelta = args.choice_window
        shortest, longest = CHOICE_WINDOW
        if not shortest <= window <= longest:
            raise UserError(
                f"The choice window must be between {describe(shortest)} and "
                f"{describe(longest)}; you wrote {describe(window)}."
            )
        changes["choice_window_days"] = window.days
        said.append(f"choice window: {describe(window)}")
    for key, value in changes.items():
        before[key] = settings.get(key)
        after[key] = value
        settings[key] = value
    programme.settings = settings
    if args.name is not None:
        name = args.name.strip()[:200]
        if not name:
            raise UserError("--name can't be empty.")
        before["name"], after["name"] = programme.name, name
        programme.name = name
        said.append(f"name: {name}")
    if args.cadence is not None:
        cadence = args.cadence
        before["cadence_days"], after["cadence_days"] = programme.cadence_days, cadence
        programme.cadence_days = cadence
        said.append(f"cadence: {describe_days(cadence)}")
    await ctx.audit(
        "program.set", programme=programme, target=programme.key, before=before, after=after
    )
    shown = "; ".join(said)
    return [Message(text=f"Updated {programme.name}: {shown}.", kind=Kind.PROGRAM_SET)]


@verb("programs", summary="list this workspace's programmes")
async def list_programmes(ctx: Context, args: Args) -> Reply:
    found = await repo.programmes(ctx.session, workspace_id=ctx.workspace.id)
    if not found:
        hint = " Create one with program create." if ctx.is_coordinator else ""
        return [Message(text=f"There are no programmes here yet.{hint}")]
    lines = [f"• {p.key}: {p.name} ({p.status})" for p in found]
    return [
        Message(
            text="Programmes:\n" + "\n".join(lines),
            kind=Kind.PROGRAMMES,
            card=Card(header="Programmes", sections=(Section(text="\n".join(lines)),)),
        )
    ]


@home(order=30)
async def home_summaries(ctx: Context) -> list[Message]:
    """Every programme's health, for coordinators."""
    if not ctx.is_coordinator:
        return []
    return [
        await summary(ctx, programme)
        for programme in await repo.programmes(ctx.session, workspace_id=ctx.workspace.id)
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
    sessions = (await tally.count(ctx.session, per="programme", ids=[programme.id]))[programme.id]
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
    live = await repo.live_pairs_in(ctx.session, programme_id=programme.id)
    stalled = sum(1 for pair in live if journeys.is_stalled(pair, ctx.now))
    matched = len({pair.mentee_id for pair in live})
    mentees = select(func.count(Enrolment.id)).where(
        Enrolment.programme_id == programme.id, Enrolment.side == Side.MENTEE
    )
    waiting = await ctx.session.scalar(mentees.where(standing.waiting())) or 0
    finished = await ctx.session.scalar(mentees.where(standing.finished())) or 0
    unaccepted, people = await conduct.not_accepted(ctx.session, programme=programme)
    if programme.status == ProgrammeStatus.CLOSED:
        closed = programme.closed_at or ctx.now
        state = f"closed on {cards.local_date(closed, ctx.actor.timezone)}"
        ever = (
            await ctx.session.scalar(
                select(func.count(func.distinct(Pair.mentee_id))).where(
                    Pair.programme_id == programme.id, Pair.status != PairStatus.PROPOSED
                )
            )
            or 0
        )
        pairing = (
            f"{ever} of {counted(enrolled.get('mentee', 0), 'mentee')} "
            f"{'was' if ever == 1 and enrolled.get('mentee', 0) == 1 else 'were'} paired, "
            f"{finished} finished"
        )
    else:
        state = str(programme.status)
        pairing = f"{counted(matched, 'mentee')} matched, {waiting} waiting" + (
            f", {finished} finished" if finished else ""
        )
    fields = (
        CardField(label="Status", value=state),
        CardField(
            label="Enrolled",
            value=f"{counted(enrolled.get('mentor', 0), 'mentor')}, "
            f"{counted(enrolled.get('mentee', 0), 'mentee')}",
        ),
        CardField(label="Matched", value=pairing),
        CardField(
            label="Code of conduct",
            value=f"{unaccepted} of {people} haven't accepted version "
            f"{programme.conduct_version} yet"
            if unaccepted
            else f"everyone enrolled has accepted version {programme.conduct_version}"
            if people
            else f"version {programme.conduct_version}; nobody enrolled yet",
        ),
        CardField(
            label="Pairs",
            value=f"{pairs.get('active', 0)} active ({stalled} stalled), "
            f"{pairs.get('paused', 0)} paused, {pairs.get('ended', 0)} ended, "
            f"{pairs.get('proposed', 0)} proposed",
        ),
        CardField(label="Sessions", value=sessions.words()),
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
        kind=Kind.PROGRAMME_STATUS,
        card=Card(header=f"{programme.name}", sections=(Section(fields=fields),)),
    )
