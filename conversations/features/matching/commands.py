"""Matching from chat: propose for the whole pool, review, adjust, publish.

Nothing reaches a participant before ``publish``. The do-not-pair list and the
reasons someone is left unmatched are for coordinators only.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import func, select

from conversations import arguments as arg
from conversations import codec
from conversations.arguments import Args
from conversations.context import Context, Reply
from conversations.counting import counted
from conversations.errors import NotAllowed, UserError
from conversations.features.matching import offers, proposals
from conversations.features.matching.candidates import candidate
from conversations.features.matching.pool import load_pool
from conversations.features.matching.scoring import scores
from conversations.features.pairing import journeys, lifecycle
from conversations.features.safeguarding import safeguarding
from conversations.features.safeguarding.commands import paused_sentence, resume_hint, tell_others
from conversations.kinds import Kind
from conversations.messages import Button, Card, Message, Section
from conversations.registry import action, verb
from storage import repositories as repo
from storage.models import (
    DoNotPair,
    MatchOffer,
    OfferStatus,
    Pair,
    PairStatus,
    PauseReason,
    Person,
    Programme,
    Role,
    Side,
)

MATCHING = "Matching"
PAGE = 15


def _choice_mode(programme: Programme) -> bool:
    return programme.settings.get("matching") == "choice"


def _chunks(lines: list[str], limit: int = 2800) -> list[str]:
    """Group lines into blocks a platform will show whole (Slack: 3,000 characters)."""
    blocks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > limit:
            blocks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:limit]
    if current:
        blocks.append(current)
    return blocks


async def _proposal_message(ctx: Context, programme: Programme, page: int) -> Message:
    curriculum = ctx.curriculum(programme)
    if _choice_mode(programme):
        return await _suggestions_message(ctx, programme)
    outcome = await proposals.describe(
        ctx.session, programme=programme, curriculum=curriculum, now=ctx.now
    )
    pairs = outcome.proposed
    pages = max(1, (len(pairs) + PAGE - 1) // PAGE)
    if not 1 <= page <= pages:
        raise UserError(
            f"There {'is' if pages == 1 else 'are'} {counted(pages, 'page')} in this proposal."
        )
    total = sum(p.score or 0 for p in pairs)
    summary = (
        f"{counted(len(pairs), 'pair')} proposed (total score {total:.1f}); "
        f"{counted(len(outcome.unmatched), 'mentee')} unmatched; "
        f"{counted(sum(n for _, n in outcome.free_places), 'mentor place')} free."
    )
    if outcome.awaiting_conduct:
        summary += f" {len(outcome.awaiting_conduct)} waiting to accept the code of conduct."
    lines = [
        f"• {p.mentor.label} → {p.mentee.label} (score {p.score or 0:.1f}"
        f"{', pinned' if p.pinned else ''}): {p.reason}"
        for p in pairs[(page - 1) * PAGE : page * PAGE]
    ]
    sections = [Section(text=summary)]
    sections += [Section(text=block) for block in _chunks(lines)]
    if page == pages and outcome.unmatched:
        sections += [
            Section(text=block)
            for block in _chunks(
                ["*Unmatched:*"] + [f"• {u.person.label}: {u.reason}" for u in outcome.unmatched]
            )
        ]
    if page == pages and outcome.free_places:
        sections.append(
            Section(
                text="*Places free:* "
                + ", ".join(f"{p.label} ({n})" for p, n in outcome.free_places)
            )
        )
    if pages > 1:
        sections.append(
            Section(
                text=f"Page {page} of {pages}: proposal {programme.key} <page> shows the others."
            )
        )
    sections.append(
        Section(
            text=(
                f"Adjust with match swap {programme.key} @mentee @mentee, match remove, match pin "
                f"or match unpin; nothing is sent to anyone until you publish."
            )
        )
    )
    body = "\n".join(s.text for s in sections)
    return Message(
        text=f"Proposal for {programme.name}:\n{body}",
        kind=Kind.PROPOSAL,
        card=Card(
            header=f"Proposal for {programme.name}",
            sections=tuple(sections),
            buttons=(
                Button(
                    label="Publish", action="proposal.publish", value=programme.key, style="primary"
                ),
                Button(label="Re-run around pins", action="proposal.rerun", value=programme.key),
            )
            if pairs or outcome.unmatched
            else (),
        ),
    )


async def _suggestions_message(ctx: Context, programme: Programme) -> Message:
    rows = (
        (
            await ctx.session.scalars(
                select(MatchOffer)
                .where(
                    MatchOffer.programme_id == programme.id,
                    MatchOffer.status == OfferStatus.SUGGESTED,
                )
                .order_by(MatchOffer.mentee_id, MatchOffer.rank)
            )
        )
        .unique()
        .all()
    )
    by_mentee: dict[str, list[str]] = {}
    for offer in rows:
        by_mentee.setdefault(offer.mentee.label, []).append(
            f"{offer.mentor.label} ({offer.score:.1f})"
        )
    lines = [f"• {mentee}: {', '.join(options)}" for mentee, options in by_mentee.items()]
    summary = (
        f"Mentee choice: {counted(len(by_mentee), 'mentee')} will "
        f"{'be' if len(by_mentee) == 1 else 'each be'} offered up to "
        f"{proposals.SUGGESTIONS} mentors."
    )
    sections = [Section(text=summary), *(Section(text=b) for b in _chunks(lines))]
    return Message(
        text=f"Suggestions for {programme.name}:\n" + "\n".join(s.text for s in sections),
        kind=Kind.PROPOSAL,
        card=Card(
            header=f"Suggestions for {programme.name}",
            sections=tuple(sections),
            buttons=(
                Button(
                    label="Publish", action="proposal.publish", value=programme.key, style="primary"
                ),
            )
            if lines
            else (),
        ),
    )


async def _run(ctx: Context, programme: Programme) -> Reply:
    if programme.status not in repo.RUNNING_PROGRAMMES:
        raise UserError(f"{programme.name} is {programme.status}; open it before matching.")
    curriculum = ctx.curriculum(programme)
    if _choice_mode(programme):
        offered = await proposals.suggest(
            ctx.session, programme=programme, curriculum=curriculum, now=ctx.now
        )
        after = {"mode": "choice", "mentees": len(offered)}
    else:
        outcome = await proposals.propose(
            ctx.session,
            programme=programme,
            curriculum=curriculum,
            created_by=ctx.actor,
            now=ctx.now,
        )
        after = {
            "mode": "proposal",
            "pairs": len(outcome.proposed),
            "unmatched": len(outcome.unmatched),
        }
    await ctx.audit("match", programme=programme, target=programme.key, after=after)
    return [await _proposal_message(ctx, programme, 1)]


@verb(
    "match",
    summary="propose mentors for everyone waiting (re-runs around pinned pairs)",
    role=Role.COORDINATOR,
    arguments=(arg.programme(),),
    group=MATCHING,
)
async def match(ctx: Context, args: Args) -> Reply:
    return await _run(ctx, await ctx.programme(args.program))


@verb(
    "proposal",
    summary="show the current proposal",
    role=Role.COORDINATOR,
    arguments=(
        arg.programme(),
        arg.number("page", optional=True, problem="The page is a number, e.g. proposal career 2."),
    ),
    group=MATCHING,
)
async def show(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    page = 1 if args.page is None else args.page
    return [await _proposal_message(ctx, programme, page)]


async def _proposed_for(ctx: Context, programme: Programme, mentee: Person) -> Pair:
    found = await ctx.session.scalar(
        select(Pair).where(
            Pair.programme_id == programme.id,
            Pair.mentee_id == mentee.id,
            Pair.status == PairStatus.PROPOSED,
        )
    )
    if found is None:
        raise UserError(f"{mentee.label} has no proposed mentor in {programme.name}.")
    return found


async def _check_allowed(
    ctx: Context, programme: Programme, mentee: Person, mentor: Person, *, ignoring: list[Pair]
) -> None:
    """Refuse a hand-made proposal that breaks a hard constraint or a mentor's capacity."""
    pool = await load_pool(
        ctx.session, programme=programme, curriculum=ctx.curriculum(programme), now=ctx.now
    )
    mentor_profile = pool.enrolments.get((mentor.id, Side.MENTOR))
    mentee_profile = pool.enrolments.get((mentee.id, Side.MENTEE))
    if mentee_profile is None:
        raise UserError(f"{mentee.label} isn't an active mentee in {programme.name}.")
    if mentor_profile is None:
        raise UserError(f"{mentor.label} isn't an active mentor in {programme.name}.")
    problem = pool.why_not(mentee.id, mentor.id)
    if problem is not None:
        raise UserError(f"{mentor.label} can't mentor {mentee.label}: {problem}.")
    if await repo.live_pairs_of(ctx.session, person_id=mentee.id, programme_id=programme.id):
        raise UserError(f"{mentee.label} already has a mentor in {programme.name}.")
    live = await repo.count_live_mentees(
        ctx.session, programme_id=programme.id, mentor_id=mentor.id
    )
    proposed = (
        await ctx.session.scalar(
            select(func.count(Pair.id)).where(
                Pair.programme_id == programme.id,
                Pair.mentor_id == mentor.id,
                Pair.status == PairStatus.PROPOSED,
                Pair.id.not_in([p.id for p in ignoring] or [-1]),
            )
        )
        or 0
    )
    if live + proposed >= mentor_profile.capacity:
        raise UserError(
            f"{mentor.label} has no places left in {programme.name} "
            f"({live} active, {proposed} proposed); swap or remove one first."
        )


async def _rescore(ctx: Context, pair: Pair, programme: Programme) -> None:
    """Score and explain a pair the coordinator arranged by hand, as the matcher would."""
    curriculum = ctx.curriculum(programme)
    mentor_profile, mentee_profile = await journeys.profiles(
        ctx.session, programme=programme, mentor_id=pair.mentor_id, mentee_id=pair.mentee_id
    )
    pair.score = round(
        float(
            scores(
                [candidate(pair.mentee, mentee_profile, at=ctx.now)],
                [candidate(pair.mentor, mentor_profile, at=ctx.now)],
                department_mode=journeys.department_mode(programme, curriculum),
            )[0, 0]
        ),
        2,
    )
    pair.reason = await journeys.explain_pair(
        ctx.session,
        programme=programme,
        curriculum=curriculum,
        mentor=pair.mentor,
        mentee=pair.mentee,
        note=None,
        now=ctx.now,
    )


@verb(
    "match swap",
    summary="swap two mentees' proposed mentors (both become pinned)",
    role=Role.COORDINATOR,
    arguments=(
        arg.programme(),
        arg.person("first", label="@mentee"),
        arg.person("second", label="@mentee"),
    ),
    group=MATCHING,
)
async def swap(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    first = await _proposed_for(ctx, programme, await ctx.person(args.first))
    second = await _proposed_for(ctx, programme, await ctx.person(args.second))
    if first.id == second.id:
        raise UserError("Name two different mentees to swap.")
    before = {"first": "{2}", "second": "{3}"}
    earlier = (first.mentor, second.mentor)
    new_first_mentor, new_second_mentor = second.mentor, first.mentor
    pool = await load_pool(
        ctx.session, programme=programme, curriculum=ctx.curriculum(programme), now=ctx.now
    )
    for pair, mentor in ((first, new_first_mentor), (second, new_second_mentor)):
        problem = pool.why_not(pair.mentee_id, mentor.id)
        if problem is not None:
            raise UserError(f"{mentor.label} can't mentor {pair.mentee.label}: {problem}.")
    first.mentor_id, second.mentor_id = new_first_mentor.id, new_second_mentor.id
    first.pinned = second.pinned = True
    await ctx.session.flush()
    for pair in (first, second):
        await ctx.session.refresh(pair)
        await _rescore(ctx, pair, programme)
    await ctx.audit(
        "match.swap",
        programme=programme,
        target="{0} and {1}",
        before=before,
        after={"first": "{4}", "second": "{5}"},
        people=(first.mentee, second.mentee, *earlier, first.mentor, second.mentor),
    )
    return [
        Message(
            text=f"Swapped: {first.mentor.label} → {first.mentee.label} and "
            f"{second.mentor.label} → {second.mentee.label}. Both are pinned.",
            kind=Kind.PROPOSAL_CHANGED,
        )
    ]


@verb(
    "match remove",
    summary="take a mentee's proposed pair out (it won't be proposed again)",
    role=Role.COORDINATOR,
    arguments=(arg.programme(), arg.person("mentee")),
    group=MATCHING,
)
async def remove(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    pair = await _proposed_for(ctx, programme, await ctx.person(args.mentee))
    rejected = list(programme.settings.get("rejected", []))
    rejected.append([pair.mentee_id, pair.mentor_id])
    programme.settings = {**programme.settings, "rejected": rejected}
    label = f"{pair.mentor.label} → {pair.mentee.label}"
    await ctx.session.delete(pair)
    await ctx.audit(
        "match.remove",
        programme=programme,
        target="{0} → {1}",
        before={"pair": "{0} → {1}"},
        people=(pair.mentor, pair.mentee),
    )
    return [
        Message(
            text=f"Removed {label} from the proposal; it won't be proposed again. "
            f"Run match {programme.key} to fill the gap.",
            kind=Kind.PROPOSAL_CHANGED,
        )
    ]


@verb(
    "match pin",
    summary="keep a proposed pair when re-running, or propose a mentor yourself",
    role=Role.COORDINATOR,
    arguments=(arg.programme(), arg.person("mentee"), arg.person("mentor", optional=True)),
    group=MATCHING,
)
async def pin(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    mentee = await ctx.person(args.mentee)
    if args.mentor is None:
        pair = await _proposed_for(ctx, programme, mentee)
        pair.pinned = True
        text = f"Pinned {pair.mentor.label} → {mentee.label}."
    else:
        mentor = await ctx.person(args.mentor)
        existing = await ctx.session.scalar(
            select(Pair).where(
                Pair.programme_id == programme.id,
                Pair.mentee_id == mentee.id,
                Pair.status == PairStatus.PROPOSED,
            )
        )
        await _check_allowed(
            ctx, programme, mentee, mentor, ignoring=[existing] if existing else []
        )
        if existing is not None:
            await ctx.session.delete(existing)
            await ctx.session.flush()
        pair = lifecycle.proposed(
            programme_id=programme.id,
            mentor_id=mentor.id,
            mentee_id=mentee.id,
            reason="",
            pinned=True,
            created_by_id=ctx.actor.id,
            now=ctx.now,
        )
        ctx.session.add(pair)
        await ctx.session.flush()
        await ctx.session.refresh(pair)
        await _rescore(ctx, pair, programme)
        text = f"Proposed and pinned {mentor.label} → {mentee.label}."
    await ctx.audit(
        "match.pin",
        programme=programme,
        target="{0} → {1}",
        after={"pinned": True},
        people=(pair.mentor, pair.mentee),
    )
    return [Message(text=text, kind=Kind.PROPOSAL_CHANGED)]


@verb(
    "match unpin",
    summary="let the next match run change this pair",
    role=Role.COORDINATOR,
    arguments=(arg.programme(), arg.person("mentee")),
    group=MATCHING,
)
async def unpin(ctx: Context, args: Args) -> Reply:
    programme = await ctx.programme(args.program)
    pair = await _proposed_for(ctx, programme, await ctx.person(args.mentee))
    pair.pinned = False
    await ctx.audit(
        "match.unpin",
        programme=programme,
        target="{0} → {1}",
        after={"pinned": False},
        people=(pair.mentor, pair.mentee),
    )
    return [
        Message(
            text=f"Unpinned {pair.mentor.label} → {pair.mentee.label}.", kind=Kind.PROPOSAL_CHANGED
        )
    ]


async def _publish(ctx: Context, programme: Programme) -> Reply:
    if programme.status not in repo.RUNNING_PROGRAMMES:
        raise UserError(f"{programme.name} is {programme.status}; open it before publishing.")
    if _choice_mode(programme):
        count = await offers.publish_offers(ctx.session, programme=programme, now=ctx.now)
        if not count:
            raise UserError(f"There are no suggestions to send. Run match {programme.key} first.")
        text = f"Sent {counted(count, 'mentee')} their suggested mentors."
        after: dict[str, object] = {"mentees offered": count}
    else:
        started, skipped = await proposals.publish_pairs(
            ctx.session, programme=programme, curriculum=ctx.curriculum(programme), now=ctx.now
        )
        if not started and not skipped:
            raise UserError(f"There is nothing to publish. Run match {programme.key} first.")
        text = (
            f"Published {counted(len(started), 'pair')} in {programme.name}; introductions are "
            "on their way."
        )
        if skipped:
            text += " Not started: " + "; ".join(skipped) + "."
        after = {"published": len(started), "skipped": len(skipped)}
    await ctx.audit("publish", programme=programme, target=programme.key, after=after)
    return [Message(text=text, kind=Kind.PUBLISHED)]


@verb(
    "publish",
    summary="start the proposed pairs and introduce them (or send mentees their choices)",
    role=Role.COORDINATOR,
    arguments=(arg.programme(),),
    group=MATCHING,
)
async def publish(ctx: Context, args: Args) -> Reply:
    return await _publish(ctx, await ctx.programme(args.program))


def _require_coordinator(ctx: Context) -> None:
    if not ctx.is_coordinator:
        raise NotAllowed("Only coordinators can do that.")


@action("proposal.publish")
async def press_publish(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    _require_coordinator(ctx)
    return await _publish(ctx, await ctx.programme(value))


@action("proposal.rerun")
async def press_rerun(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    _require_coordinator(ctx)
    return await _run(ctx, await ctx.programme(value))


@verb(
    "unpair",
    summary="end a pairing kindly",
    role=Role.COORDINATOR,
    arguments=(arg.person("mentor"), arg.person("mentee"), arg.programme()),
    group=MATCHING,
)
async def unpair(ctx: Context, args: Args) -> Reply:
    mentor, mentee, programme, pair = await ctx.live_pair(args.mentor, args.mentee, args.program)
    await journeys.end_by_team(ctx.session, pair=pair, now=ctx.now)
    await ctx.audit(
        "unpair",
        programme=programme,
        target="{0} + {1}",
        people=(mentor, mentee),
        before={"status": "active"},
        after={"status": "ended"},
    )
    return [
        Message(
            text=f"Ended the pairing of {mentor.label} and {mentee.label}; both have "
            "been told kindly.",
            kind=Kind.UNPAIRED,
        )
    ]


def _ordered(a: Person, b: Person) -> tuple[int, int]:
    return (a.id, b.id) if a.id < b.id else (b.id, a.id)


@verb(
    "do-not-pair",
    summary="never propose these two together (confidential)",
    role=Role.COORDINATOR,
    arguments=(arg.person("first", label="@person"), arg.person("second", label="@person")),
    group=MATCHING,
)
async def do_not_pair(ctx: Context, args: Args) -> Reply:
    a, b = await ctx.person(args.first), await ctx.person(args.second)
    if a.id == b.id:
        raise UserError("Name two different people.")
    first, second = _ordered(a, b)
    exists = await ctx.session.scalar(
        select(DoNotPair.id).where(
            DoNotPair.workspace_id == ctx.workspace.id,
            DoNotPair.first_id == first,
            DoNotPair.second_id == second,
        )
    )
    if exists is None:
        ctx.session.add(
            DoNotPair(
                workspace_id=ctx.workspace.id,
                first_id=first,
                second_id=second,
                created_by_id=ctx.actor.id,
                created_at=ctx.now,
            )
        )
        await ctx.audit("do-not-pair.add", target="{0} + {1}", people=(a, b))
    return [
        Message(
            text=f"{a.label} and {b.label} will never be proposed together. Nobody else is told.",
            kind=Kind.DO_NOT_PAIR,
        )
    ]


@verb(
    "do-not-pair remove",
    summary="take two people off the do-not-pair list",
    role=Role.COORDINATOR,
    arguments=(arg.person("first", label="@person"), arg.person("second", label="@person")),
    group=MATCHING,
)
async def do_not_pair_remove(ctx: Context, args: Args) -> Reply:
    a, b = await ctx.person(args.first), await ctx.person(args.second)
    first, second = _ordered(a, b)
    row = await ctx.session.scalar(
        select(DoNotPair).where(
            DoNotPair.workspace_id == ctx.workspace.id,
            DoNotPair.first_id == first,
            DoNotPair.second_id == second,
        )
    )
    if row is None:
        raise UserError(f"{a.label} and {b.label} aren't on the do-not-pair list.")
    if row.source == "blocked":
        raise UserError("One of them blocked the other; that can't be undone by a coordinator.")
    await ctx.session.delete(row)
    await ctx.audit("do-not-pair.remove", target="{0} + {1}", people=(a, b))
    return [
        Message(
            text=f"{a.label} and {b.label} can be proposed together again.", kind=Kind.DO_NOT_PAIR
        )
    ]


async def _someone_elses_clearance(ctx: Context, person: Person, *, verb: str) -> None:
    """Refuse a clearance change by the person themselves or by anyone paired with them:
    whether a mentor may go on meeting a young mentee is never decided by either of the
    two (nobody acts on a pairing they are in)."""
    if person.id == ctx.actor.id:
        raise NotAllowed(
            f"A background check is {verb} by someone else: ask another coordinator to do yours."
        )
    together = [
        pair
        for pair in await repo.live_pairs_of(ctx.session, person_id=ctx.actor.id)
        if pair.includes(person.id)
    ]
    if together:
        raise NotAllowed(
            f"You're paired with {person.label}, so another coordinator needs to do that."
        )


@verb(
    "clearance record",
    summary="record a mentor's background check (needed in safeguarded programmes)",
    role=Role.COORDINATOR,
    arguments=(arg.person(),),
    options=(
        arg.flag(
            arg.day(
                "expires",
                problem="'{word}' isn't a date; write it as YYYY-MM-DD, e.g. 2027-06-30.",
            )
        ),
    ),
    group=MATCHING,
)
async def clearance_record(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    await _someone_elses_clearance(ctx, person, verb="recorded")
    expires = None if args.expires is None else datetime.combine(args.expires, time(), tzinfo=UTC)
    if expires is not None and expires <= ctx.now:
        raise UserError("That date has already passed; record a clearance that is still valid.")
    before = {
        "expires": person.clearance_expires_at.date().isoformat()
        if person.clearance_expires_at
        else None,
        "recorded": person.clearance_recorded_at is not None,
    }
    person.clearance_recorded_at = ctx.now
    person.clearance_expires_at = expires
    until = f" until {expires:%d %b %Y}" if expires else ""
    await ctx.audit(
        "clearance.record",
        target="{0}",
        people=(person,),
        before=before,
        after={"expires": expires.date().isoformat() if expires else None, "recorded": True},
    )
    freed = await safeguarding.resumable(ctx.session, person=person, now=ctx.now)
    return [
        Message(
            text=f"Recorded {person.label}'s clearance{until}.{resume_hint(freed)}",
            kind=Kind.CLEARANCE,
        )
    ]


@verb(
    "clearance revoke",
    summary="withdraw a clearance; the mentor's pairings in safeguarded programmes pause at once",
    role=Role.COORDINATOR,
    arguments=(arg.person(),),
    group=MATCHING,
)
async def clearance_revoke(ctx: Context, args: Args) -> Reply:
    person = await ctx.person(args.person)
    await _someone_elses_clearance(ctx, person, verb="withdrawn")
    if person.clearance_recorded_at is None:
        raise UserError(f"{person.label} has no recorded clearance.")
    person.clearance_recorded_at = None
    person.clearance_expires_at = None
    await ctx.audit(
        "clearance.revoke",
        target="{0}",
        people=(person,),
        before={"recorded": True},
        after={"recorded": False},
    )
    paused = await safeguarding.hold(
        ctx.session, person=person, paused_by=PauseReason.CLEARANCE, now=ctx.now
    )
    if paused:
        await tell_others(
            ctx,
            change="clearance.revoke",
            what=f"withdrew {person.label}'s clearance",
            person=person,
            pairs=paused,
        )
    return [
        Message(
            text=f"Withdrew {person.label}'s clearance.{paused_sentence(paused)}",
            kind=Kind.CLEARANCE,
        )
    ]


async def _offer(ctx: Context, value: str) -> MatchOffer:
    offer = await ctx.session.get(MatchOffer, codec.Ref.decode(value).id)
    if offer is None:
        raise codec.OutOfDate
    programme = await ctx.session.get(Programme, offer.programme_id)
    if programme is None or programme.workspace_id != ctx.workspace.id:
        raise codec.OutOfDate
    return offer


@action("offer.choose")
async def press_choose(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    said = await offers.choose(
        ctx.session, offer=await _offer(ctx, value), mentee=ctx.actor, now=ctx.now
    )
    return [Message(text=said, kind=Kind.OFFER_CHOSEN)]


async def _answer(ctx: Context, value: str, *, accept: bool) -> Reply:
    said = await offers.respond(
        ctx.session,
        offer=await _offer(ctx, value),
        mentor=ctx.actor,
        accept=accept,
        library=ctx.library,
        now=ctx.now,
    )
    return [Message(text=said, kind=Kind.OFFER_ANSWERED)]


@action("offer.accept")
async def press_accept(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    return await _answer(ctx, value, accept=True)


@action("offer.decline")
async def press_decline(ctx: Context, value: str, values: dict[str, str]) -> Reply:
    return await _answer(ctx, value, accept=False)
