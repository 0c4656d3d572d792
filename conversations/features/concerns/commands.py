"""Reporting a concern, and what safeguarding contacts and coordinators do with one.

``report`` (or the "Report a concern" button on pair messages and the home screen) gives the
reporter a private form; its answer is stored and routed by
``conversations.features.concerns.concerns``.
Acknowledge, Pause the pair and Resolve are buttons on the card contacts receive, and on
``concern <id>``. Only contacts may press them, and never on a concern about their own
pairing: to them such a concern does not exist, so a guessed number reads "I can't find
it" exactly as a forged one does. Every step is audited without the description; a report
itself is not, because every coordinator can read the audit log, including one who is in
the pair the concern is about.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from conversations import arguments as arg
from conversations import cards, codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.durations import ago
from conversations.errors import NotAllowed, UserError
from conversations.features.concerns import cards as concern_cards
from conversations.features.concerns import concerns
from conversations.features.concerns.concerns import Status, Step, Target
from conversations.features.pairing import choosing, lifecycle
from conversations.features.pairing.holds import pair_paused
from conversations.kinds import Kind
from conversations.messages import Card, Message, Section
from conversations.outbox import Outbox
from conversations.registry import action, form, home, verb
from storage import repositories as repo
from storage.models import (
    Concern,
    EnrolmentStatus,
    Pair,
    PairStatus,
    PauseReason,
    Person,
    Programme,
)

SAFEGUARDING = "Safeguarding"
LIST_LIMIT = 50
MAX_OFFERS = 5
"""Home-screen report buttons, one per pairing (or programme) a person is in, at most."""


def _require_contact(ctx: Context) -> None:
    if not any(role in ctx.roles for role in concerns.CONTACT_ROLES):
        raise NotAllowed(
            "Only the programme's safeguarding contacts and coordinators can see or act on "
            "concerns."
        )


async def _concern(ctx: Context, concern_id: int) -> tuple[Concern, Programme | None, Pair | None]:
    """The concern a number names, if this contact may handle it.

    One answer for a number that does not exist, belongs to another workspace, or is about
    the reader's own pairing, so nobody learns a concern about them exists.
    """
    concern = await ctx.session.get(Concern, concern_id)
    if concern is None or concern.workspace_id != ctx.workspace.id:
        raise UserError(f"I can't find concern #{concern_id}.")
    programme, pair = await concerns.about(ctx.session, concern)
    if pair is not None and pair.includes(ctx.actor.id):
        raise UserError(f"I can't find concern #{concern_id}.")
    return concern, programme, pair


async def _target(ctx: Context, args: Args) -> Target:
    """What a typed ``report`` is about: the pairing with the partner named, the pair in the
    named programme (or the programme, when it holds several or none of theirs), the
    person's only pair, or the one programme they (or the workspace) have; else ask which,
    with a button per pairing and one per programme."""
    if args.partner is not None:
        pair = await choosing.one_pair(ctx, args, verb="report")
        return Target(programme=pair.programme, pair=pair)
    if args.program is not None:
        programme = await ctx.programme(args.program)
        pairs = await repo.live_pairs_of(
            ctx.session, person_id=ctx.actor.id, programme_id=programme.id
        )
        return Target(programme=programme, pair=pairs[0] if len(pairs) == 1 else None)
    pairs = await repo.live_pairs_of(ctx.session, person_id=ctx.actor.id)
    if len(pairs) == 1:
        return Target(programme=pairs[0].programme, pair=pairs[0])
    programmes = {p.programme.id: p.programme for p in pairs}
    if len(pairs) > 1:
        as_a_whole = [
            concern_cards.report_button(
                Target(programme=programme).value, label=f"{programme.name} in general"
            )
            for programme in programmes.values()
        ]
        raise choosing.which(ctx, args, verb="report", pairs=pairs, also=as_a_whole)
    if not programmes:
        for enrolment in await repo.enrolments_of(ctx.session, person_id=ctx.actor.id):
            if enrolment.status != EnrolmentStatus.LEFT:
                found = await ctx.session.get(Programme, enrolment.programme_id)
                if found is not None:
                    programmes[found.id] = found
    if not programmes:
        programmes = {
            p.id: p for p in await repo.programmes(ctx.session, workspace_id=ctx.workspace.id)
        }
    if len(programmes) == 1:
        return Target(programme=next(iter(programmes.values())))
    if not programmes:
        raise UserError(
            "There are no programmes here yet, so there is no programme team to tell. "
            "Please speak to someone you trust in your organisation."
        )
    keys = sorted(p.key for p in programmes.values())
    raise UserError(
        f"Which programme is it about? Type report and its name: {', '.join(keys)}.",
        usage=ctx.registry.verbs["report"].usage,
    )


@verb(
    "report",
    summary="tell the programme team privately that something worries you; your partner is "
    "not told",
    arguments=(choosing.PARTNER, arg.programme(optional=True)),
)
async def report(ctx: Context, args: Args) -> Reply:
    chosen = await _target(ctx, args)
    return [concerns.report_form(chosen, ctx.actor)]


@form(concern_cards.REPORT_CONCERN)
async def report_form(ctx: Context, value: str) -> Message | None:
    chosen = await concerns.target(
        ctx.session, workspace_id=ctx.workspace.id, reporter=ctx.actor, value=value
    )
    return concerns.report_form(chosen, ctx.actor)


@action(cards.OPEN_FORM)
async def open_form(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    """A press on a button that opens a form, from a platform that passes it on (the
    console); Slack and Teams open the form themselves. Any registered form may be named:
    each builder checks who is asking, as it does when a platform asks."""
    packed = codec.FormOpen.decode(value)
    builder = ctx.registry.forms.get(packed.action)
    if builder is None:
        raise codec.OutOfDate
    built = await builder(ctx, packed.value)
    if built is None:
        raise codec.OutOfDate
    return [built]


@action(concern_cards.REPORT_CONCERN)
async def submit_report(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    chosen = await concerns.target(
        ctx.session, workspace_id=ctx.workspace.id, reporter=ctx.actor, value=value
    )
    filed = await concerns.file(
        ctx.session,
        chosen=chosen,
        reporter=ctx.actor,
        report=concerns.checked(values),
        now=ctx.now,
        escalation_minutes=ctx.settings.concern_escalation_minutes,
    )
    return [Message(text=concerns.thanks(filed, chosen), kind=Kind.CONCERN_REPORTED)]


async def _unchanged(ctx: Context, concern: Concern) -> Reply:
    said = await concerns.where_it_is(ctx.session, concern, ctx.actor)
    return [Message(text=said, kind=Kind.CONCERN_UNCHANGED)]


async def _step(
    ctx: Context, concern: Concern, programme: Programme | None, pair: Pair | None, step: Step
) -> bool:
    """Take one lifecycle step and audit it (never the description), as about the pair's
    two people (so neither sees its handling); False if it no longer applies."""
    before = concern.status
    if not await concerns.take(ctx.session, concern, step, by=ctx.actor, now=ctx.now):
        return False
    await ctx.audit(
        f"concern.{step}",
        target=f"concern #{concern.id}",
        programme=programme,
        people=(pair.mentor, pair.mentee) if pair is not None else (),
        before={"status": before},
        after={"status": concern.status},
    )
    return True


@action(concerns.ACKNOWLEDGE)
async def acknowledge(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    _require_contact(ctx)
    concern, programme, pair = await _concern(ctx, codec.Ref.decode(value).id)
    if not await _step(ctx, concern, programme, pair, Step.ACKNOWLEDGE):
        return await _unchanged(ctx, concern)
    escalating = " It won't be passed on to anyone else." if concern.urgent else ""
    return [
        Message(
            text=f"Thank you for taking concern #{concern.id}.{escalating} Press Resolve (or "
            f"type concern {concern.id} to find it again) once it has been dealt with.",
            kind=Kind.CONCERN_ACKNOWLEDGED,
        )
    ]


@action(concerns.RESOLVE)
async def resolve(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    _require_contact(ctx)
    concern, programme, pair = await _concern(ctx, codec.Ref.decode(value).id)
    if not await _step(ctx, concern, programme, pair, Step.RESOLVE):
        return await _unchanged(ctx, concern)
    return [
        Message(text=f"Concern #{concern.id} is resolved. Thank you.", kind=Kind.CONCERN_RESOLVED)
    ]


@action(concerns.PAUSE)
async def pause_pair(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    """Hold the pair the concern is about, in one press. Both people hear only that the
    programme team paused it. Pausing also acknowledges an open concern: whoever paused
    the pair has plainly taken it on."""
    _require_contact(ctx)
    concern, programme, pair = await _concern(ctx, codec.Ref.decode(value).id)
    if pair is None or programme is None:
        raise UserError(
            f"Concern #{concern.id} isn't about a pair, so there's no pairing to pause."
        )
    if concern.status == Status.RESOLVED:
        return await _unchanged(ctx, concern)
    acknowledged = await _step(ctx, concern, programme, pair, Step.ACKNOWLEDGE)
    also = f" I've acknowledged concern #{concern.id} for you." if acknowledged else ""
    who = f"{pair.mentor.label} and {pair.mentee.label}"
    if pair.status not in (PairStatus.ACTIVE, PairStatus.PAUSED) or (
        pair.status == PairStatus.PAUSED and pair.paused_by == PauseReason.PROGRAMME_TEAM
    ):
        state = (
            "are already paused by the programme team"
            if pair.status == PairStatus.PAUSED
            else "are no longer paired"
        )
        nothing = "" if acknowledged else " Nothing has changed."
        return [
            Message(
                text=f"{who} {state}, so there was nothing to pause.{also}{nothing}",
                kind=Kind.CONCERN_ACKNOWLEDGED if acknowledged else Kind.CONCERN_UNCHANGED,
            )
        ]
    before = {"pair": "active" if pair.status == PairStatus.ACTIVE else "paused"}
    if pair.status == PairStatus.PAUSED:
        before["paused by"] = pair.paused_by or "-"
    lifecycle.pause(pair, PauseReason.PROGRAMME_TEAM)
    outbox = Outbox(ctx.session, ctx.now)
    for person in (pair.mentor, pair.mentee):
        await outbox.to_person(
            person,
            Message(
                text=f"Your pairing with {pair.other(person.id).label} in {programme.name} is "
                "paused by the programme team.",
                kind=Kind.PAUSED_BY_TEAM,
            ),
            key=f"pair:{pair.id}:concern-pause:{ctx.now:%Y%m%dT%H%M%S}:{person.id}",
            holds=(pair_paused(pair),),
            about=pair,
        )

    await ctx.audit(
        "concern.pause",
        target=f"concern #{concern.id}",
        programme=programme,
        people=(pair.mentor, pair.mentee),
        before=before,
        after={"pair": "paused", "paused by": PauseReason.PROGRAMME_TEAM},
    )
    resume = ctx.registry.verbs.get("pair resume")
    release = f" To let them carry on later: {resume.usage}." if resume else ""
    return [
        Message(
            text=f"Paused {who} in {programme.name}. Both were told only that the programme "
            f"team paused it.{also}{release}",
            kind=Kind.CONCERN_PAUSED,
        )
    ]


@verb(
    "concerns",
    summary="concerns reported here: number, kind, urgency, status and age, never their words "
    "(safeguarding contacts and coordinators)",
    arguments=(arg.choice("which", "open", "all", optional=True, default="open"),),
    group=SAFEGUARDING,
)
async def list_concerns(ctx: Context, args: Args) -> Reply:
    _require_contact(ctx)
    which = args.which
    visible = and_(
        Concern.workspace_id == ctx.workspace.id,
        or_(
            Concern.pair_id.is_(None),
            and_(Pair.mentor_id != ctx.actor.id, Pair.mentee_id != ctx.actor.id),
        ),
    )
    if which == "open":
        visible = and_(visible, Concern.status != Status.RESOLVED)
    total = int(
        await ctx.session.scalar(
            select(func.count(Concern.id))
            .outerjoin(Pair, Pair.id == Concern.pair_id)
            .where(visible)
        )
        or 0
    )
    rows = (
        await ctx.session.execute(
            select(Concern, Programme.key)
            .outerjoin(Pair, Pair.id == Concern.pair_id)
            .outerjoin(Programme, Programme.id == Concern.programme_id)
            .where(visible)
            .order_by(Concern.id.desc())
            .limit(LIST_LIMIT)
        )
    ).all()
    if not rows:
        none = "No concerns are open." if which == "open" else "No concerns have been reported."
        return [Message(text=none, kind=Kind.CONCERN_LIST)]
    lines = [
        f"• #{c.id} · {concerns.CATEGORIES.get(c.category, c.category)} · "
        f"{'urgent' if c.urgent else 'not urgent'} · {c.status} · "
        f"{ago(ctx.now - c.created_at)} · {key or 'no programme'}"
        for c, key in rows
    ]
    if total > len(rows):
        lines.append(f"…and {total - len(rows)} older ones.")
    title = "Concerns not yet resolved" if which == "open" else "All concerns"
    text = "\n".join(lines)
    return [
        Message(
            text=f"{title}:\n{text}\nType concern <id> to read one.",
            card=Card(
                header=title,
                sections=(Section(text=text), Section(text="Type concern <id> to read one.")),
            ),
            kind=Kind.CONCERN_LIST,
        )
    ]


@verb(
    "concern",
    summary="read one concern in full and act on it (safeguarding contacts and coordinators)",
    arguments=(
        arg.number(
            "id", label="id", problem="'{word}' isn't a concern number. Type concerns to see them."
        ),
    ),
    group=SAFEGUARDING,
)
async def show_concern(ctx: Context, args: Args) -> Reply:
    _require_contact(ctx)
    concern, programme, pair = await _concern(ctx, args.id)
    reporter = await ctx.session.get(Person, concern.reporter_id) if concern.reporter_id else None
    return [
        concerns.contact_card(
            concern=concern,
            programme=programme,
            pair=pair,
            reporter=reporter,
            reader=ctx.actor,
            lead=f"Concern #{concern.id}, reported {ago(ctx.now - concern.created_at)}.",
            kind=Kind.CONCERN_DETAIL,
            header=f"Concern #{concern.id}",
            history=await concerns.history(ctx.session, concern, ctx.actor),
            pointer=False,
        )
    ]


@home(order=20)
async def home_section(ctx: Context) -> list[Message]:
    """Before the programmes, so a full home screen keeps it."""
    offer = await home_offer(ctx)
    return [offer] if offer is not None else []


async def home_offer(ctx: Context) -> Message | None:
    """The home screen's way to report: a button per pairing the person is in or, with no
    pairing, per programme they joined. Nothing for someone in no programme: ``report``
    (in help) still serves them."""
    chosen = [
        Target(programme=p.programme, pair=p)
        for p in await repo.live_pairs_of(ctx.session, person_id=ctx.actor.id)
    ]
    if not chosen:
        for enrolment in await repo.enrolments_of(ctx.session, person_id=ctx.actor.id):
            programme = await ctx.session.get(Programme, enrolment.programme_id)
            if (
                programme is not None
                and enrolment.status != EnrolmentStatus.LEFT
                and all(t.programme.id != programme.id for t in chosen)
            ):
                chosen.append(Target(programme=programme))
    if not chosen:
        return None
    chosen = chosen[:MAX_OFFERS]

    def label(target: Target) -> str:
        if len(chosen) == 1:
            return concern_cards.REPORT_LABEL
        if target.pair is not None:
            partner = target.pair.other(ctx.actor.id).label
            return f"{concern_cards.REPORT_LABEL} ({target.programme.name}, with {partner})"
        return f"{concern_cards.REPORT_LABEL} ({target.programme.name})"

    said = (
        "Something worrying you? Tell the programme team privately: press Report a concern, "
        "or type report. Your partner is not told."
    )
    return Message(
        text=said,
        card=Card(
            sections=(Section(text=said),),
            buttons=tuple(concern_cards.report_button(t.value, label=label(t)) for t in chosen),
        ),
        kind=Kind.CONCERN_OFFER,
    )
