"""A pair's walk through its curriculum, as explicit state.

The pair's position (``session_index``) and the clock it started on
(``session_started_at``) are columns, so any process can pick up where another
left off. A session moves on when the pair logs that they met or that they skipped
it, or when it passes unheard: one cadence after it began it falls due and the pair
is asked whether they met, and a grace period later, with nothing logged, the
planner records it as not heard. A meeting always counts for the session it was
about, never a later one. After the last session the pair receives the closing
reflection and completes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import cards
from conversations.curriculum import Curriculum
from conversations.errors import UserError
from conversations.features.matching.candidates import DepartmentMode, candidate
from conversations.features.pairing import cards as pair_cards
from conversations.features.pairing import explain, lifecycle, schedule, tally
from conversations.features.pairing.holds import (
    pair_active,
    pair_at,
    pair_going_or_completed,
    pair_live,
    pair_paused,
)
from conversations.features.safeguarding import safeguarding
from conversations.holds import ALWAYS
from conversations.kinds import Kind
from conversations.outbox import Outbox
from storage import repositories as repo
from storage.models import (
    CheckIn,
    Enrolment,
    EnrolmentStatus,
    Meeting,
    MeetingOutcome,
    Pair,
    PairStatus,
    Person,
    Programme,
    Prompt,
    Side,
)


def is_stalled(pair: Pair, now: datetime) -> bool:
    """A live pair with no meeting logged for the programme's stall period (21 days)."""
    last = pair.last_met_at or pair.started_at or pair.created_at
    days = schedule.setting(pair.programme, "stall_days", schedule.STALL_DAYS)
    return pair.status == PairStatus.ACTIVE and now - last >= timedelta(days=days)


def department_mode(programme: Programme, curriculum: Curriculum) -> DepartmentMode:
    """The programme's setting, else what its curriculum prefers."""
    mode = programme.settings.get("departments")
    if mode in ("cross", "same", "any"):
        return mode  # type: ignore[no-any-return]
    return "cross" if curriculum.matching.prefer_cross_department else "any"


async def profiles(
    session: AsyncSession, *, programme: Programme, mentor_id: int, mentee_id: int
) -> tuple[Enrolment | None, Enrolment | None]:
    """The mentor's and the mentee's enrolment profiles in this programme."""
    mentor = await repo.enrolment(
        session, programme_id=programme.id, person_id=mentor_id, side=Side.MENTOR
    )
    mentee = await repo.enrolment(
        session, programme_id=programme.id, person_id=mentee_id, side=Side.MENTEE
    )
    return mentor, mentee


async def explain_pair(
    session: AsyncSession,
    *,
    programme: Programme,
    curriculum: Curriculum,
    mentor: Person,
    mentee: Person,
    note: str | None,
    now: datetime,
) -> str:
    """The sentence both people will read about why they were paired."""
    mentor_profile, mentee_profile = await profiles(
        session, programme=programme, mentor_id=mentor.id, mentee_id=mentee.id
    )
    return explain.sentence(
        explain.reasons(
            mentor=candidate(mentor, mentor_profile, at=now),
            mentee=candidate(mentee, mentee_profile, at=now),
            department_mode=department_mode(programme, curriculum),
        ),
        note,
    )


async def start_pair(
    session: AsyncSession,
    *,
    programme: Programme,
    curriculum: Curriculum,
    mentor: Person,
    mentee: Person,
    note: str | None,
    created_by: Person | None,
    now: datetime,
) -> Pair:
    """Create an active pair and send both people their introduction."""
    why = await explain_pair(
        session,
        programme=programme,
        curriculum=curriculum,
        mentor=mentor,
        mentee=mentee,
        note=note,
        now=now,
    )
    pair = lifecycle.proposed(
        programme_id=programme.id,
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        reason=why,
        created_by_id=created_by.id if created_by else None,
        now=now,
    )
    session.add(pair)
    await session.flush()
    await session.refresh(pair)
    await activate(session, pair=pair, curriculum=curriculum, now=now)
    return pair


async def activate(
    session: AsyncSession, *, pair: Pair, curriculum: Curriculum, now: datetime
) -> None:
    """Start a (proposed) pair: its first session begins and both are introduced."""
    programme = pair.programme
    lifecycle.activate(pair, programme=programme, curriculum=curriculum, now=now)
    mentor_profile, mentee_profile = await profiles(
        session, programme=programme, mentor_id=pair.mentor_id, mentee_id=pair.mentee_id
    )
    message = pair_cards.introduction(
        pair=pair,
        programme=programme,
        curriculum=curriculum,
        mentor_profile=mentor_profile,
        mentee_profile=mentee_profile,
    )
    await Outbox(session, now).to_pair(
        pair, message, key=f"pair:{pair.id}:intro", holds=(pair_live(pair),)
    )


async def _met(session: AsyncSession, pair: Pair, session_index: int) -> bool:
    found = await session.scalar(
        select(Meeting.id).where(
            Meeting.pair_id == pair.id,
            Meeting.session_index == session_index,
            Meeting.outcome == MeetingOutcome.MET,
        )
    )
    return found is not None


async def advance(
    session: AsyncSession,
    *,
    pair: Pair,
    curriculum: Curriculum,
    now: datetime,
) -> None:
    """The current session was met or skipped: move the pair to its next session and send
    it; after the last, the pair completes (the lifecycle checks every session first).

    The planner does the same, set-based, for sessions that pass unheard
    (``conversations.features.pairing.jobs``).
    """
    pair.session_index += 1
    outbox = Outbox(session, now)
    workspace_id = pair.programme.workspace_id
    if pair.session_index >= len(curriculum.sessions):
        await lifecycle.complete(session, pair, total=len(curriculum.sessions), now=now)
        await outbox.planned(
            workspace_id=workspace_id,
            kind=Kind.CLOSING,
            pair=pair,
            ref_index=pair.session_index,
            key=f"pair:{pair.id}:closing",
            holds=ALWAYS,  # it says the pairing completed, which stays true
        )
        return
    lifecycle.session_began(pair, pair.programme, now)
    await outbox.planned(
        workspace_id=workspace_id,
        kind=Kind.AGENDA,
        pair=pair,
        ref_index=pair.session_index,
        key=f"pair:{pair.id}:session:{pair.session_index}:agenda",
        holds=(pair_at(pair, pair.session_index),),
    )


async def log_meeting(
    session: AsyncSession,
    *,
    pair: Pair,
    actor: Person,
    session_index: int,
    outcome: MeetingOutcome,
    curriculum: Curriculum,
    now: datetime,
) -> str:
    """Record what happened for one session; returns the sentence to say back.

    The answer counts for the session it names (the one the button was about, or the
    pair's current one for ``met``), never a later one. Met or skipped, the current
    session closes and the next begins; an earlier session (one that passed unheard) is
    corrected in place and the pair stays where it is."""
    total = len(curriculum.sessions)
    if pair.status == PairStatus.ENDED:
        raise UserError("This pairing has ended, so there's nothing to log for it.")
    if pair.status == PairStatus.PAUSED:
        partner = pair.other(actor.id) if pair.includes(actor.id) else None
        again = f"resume @{partner.label}" if partner is not None else "resume"
        raise UserError(f"This pairing is paused. Type {again} to pick it up again first.")

    if (
        not outcome.said_by_people
        or session_index < 0
        or session_index > pair.session_index
        or session_index >= total
    ):
        raise UserError(
            "That button belongs to a session that isn't open. Type status to see where you are."
        )
    number = session_index + 1
    current = session_index == pair.session_index
    closed = await tally.outcome(session, pair_id=pair.id, index=session_index)
    if closed is MeetingOutcome.MET:
        if outcome is MeetingOutcome.SKIPPED:
            return f"Session {number} is already logged as met, so there's nothing to skip."
        return f"Session {number} is already logged as met. Thank you, nothing more to do."
    if outcome in (MeetingOutcome.NOT_YET, MeetingOutcome.RESCHEDULED) and not current:
        return (
            f"Session {number} has already passed, and you're on session "
            f"{pair.session_index + 1} now. If you did meet for it, press 'We met'."
        )
    if outcome is MeetingOutcome.SKIPPED and closed is MeetingOutcome.SKIPPED:
        return f"Session {number} is already noted as skipped. Nothing more to do."
    session.add(
        Meeting(
            pair_id=pair.id,
            session_index=session_index,
            outcome=outcome,
            logged_by_id=actor.id,
            logged_at=now,
        )
    )
    if outcome is MeetingOutcome.NOT_YET:
        lifecycle.postponed(pair, pair.programme, now)
        return (
            f"No problem. Session {number} is still open; press 'We met' or type met "
            "when you've talked."
        )
    if outcome is MeetingOutcome.RESCHEDULED:
        lifecycle.postponed(pair, pair.programme, now)
        return f"Thanks for letting me know. Session {number} stays open until you meet."
    if outcome is MeetingOutcome.SKIPPED:
        lifecycle.activity(pair, pair.programme, now)
        said = f"Noted: you skipped session {number}."
        if current and number < total:
            said += f" I've sent you both the agenda for session {number + 1}."
        elif current:
            said += " That was the last session, so your pairing is complete."
    else:
        lifecycle.meeting_logged(pair, pair.programme, now)
        await _ask_for_checkins(
            session, pair=pair, curriculum=curriculum, session_index=session_index, now=now
        )
        said = f"Logged session {number} as met. I've sent you both a short check-in."
    if current:
        await advance(session, pair=pair, curriculum=curriculum, now=now)
    elif lifecycle.waiting(pair):
        # A waiting (stalled) pair answered for an earlier session: its rhythm starts again.
        lifecycle.session_began(pair, pair.programme, now)
    return said


async def _ask_for_checkins(
    session: AsyncSession,
    *,
    pair: Pair,
    curriculum: Curriculum,
    session_index: int,
    now: datetime,
) -> None:
    outbox = Outbox(session, now)
    for person in (pair.mentor, pair.mentee):
        await ask(
            session, pair=pair, person=person, kind=Kind.CHECKIN, ref_index=session_index, now=now
        )
        await outbox.to_person(
            person,
            pair_cards.checkin_form(
                pair=pair,
                person=person,
                curriculum=curriculum,
                session_index=session_index,
                programme=pair.programme,
            ),
            key=f"pair:{pair.id}:session:{session_index}:checkin:{person.id}",
            holds=(pair_going_or_completed(pair),),
            about=pair,
        )


async def ask(
    session: AsyncSession, *, pair: Pair, person: Person, kind: str, ref_index: int, now: datetime
) -> None:
    """Note that we asked someone something, so an unanswered question gets a reminder."""
    exists = await session.scalar(
        select(Prompt.id).where(
            Prompt.pair_id == pair.id,
            Prompt.person_id == person.id,
            Prompt.kind == kind,
            Prompt.ref_index == ref_index,
        )
    )
    if exists is None:
        session.add(
            Prompt(
                pair_id=pair.id,
                person_id=person.id,
                kind=kind,
                ref_index=ref_index,
                asked_at=now,
                next_reminder_at=now + schedule.REMINDER_AFTER,
            )
        )


async def answered(
    session: AsyncSession, *, pair_id: int, person_id: int, kind: str, ref_index: int, now: datetime
) -> None:
    await session.execute(
        update(Prompt)
        .where(
            Prompt.pair_id == pair_id,
            Prompt.person_id == person_id,
            Prompt.kind == kind,
            Prompt.ref_index == ref_index,
            Prompt.answered_at.is_(None),
        )
        .values(answered_at=now, next_reminder_at=None)
    )


async def latest_met_session(session: AsyncSession, pair: Pair) -> int | None:
    return await session.scalar(
        select(Meeting.session_index)
        .where(Meeting.pair_id == pair.id, Meeting.outcome == MeetingOutcome.MET)
        .order_by(Meeting.session_index.desc())
        .limit(1)
    )


async def record_checkin(
    session: AsyncSession,
    *,
    pair: Pair,
    person: Person,
    session_index: int | None,
    rating: int,
    reflection: str | None,
    now: datetime,
    quote: str | None = None,
) -> str:
    """Record a check-in. ``quote`` is a line the person chose to share, without their
    name, in the executives' digest; the reflection is never shown to anyone."""
    if not pair.includes(person.id):
        raise UserError("That check-in belongs to someone else's pairing.")
    if session_index is None:
        session_index = await latest_met_session(session, pair)
        if session_index is None:
            raise UserError(
                "You haven't logged a meeting yet. Type met once you've talked, then check in."
            )
    elif not await _met(session, pair, session_index):
        raise UserError(f"Session {session_index + 1} isn't logged as met yet.")
    existing = await session.scalar(
        select(CheckIn.id).where(
            CheckIn.pair_id == pair.id,
            CheckIn.person_id == person.id,
            CheckIn.session_index == session_index,
        )
    )
    if existing is not None:
        return f"You've already checked in for session {session_index + 1}. Thank you."
    note = (reflection or "").strip() or None
    shared = (quote or "").strip() or None
    session.add(
        CheckIn(
            pair_id=pair.id,
            person_id=person.id,
            session_index=session_index,
            rating=rating,
            reflection=note,
            shareable_quote=shared,
            created_at=now,
        )
    )
    await answered(
        session,
        pair_id=pair.id,
        person_id=person.id,
        kind=Kind.CHECKIN,
        ref_index=session_index,
        now=now,
    )
    kept = " Your note is saved privately; nobody else will see it." if note else ""
    if shared:
        kept += " Thank you for the line to share: it will appear without your name."
    return f"Thanks for checking in on session {session_index + 1} ({rating}/5).{kept}"


def held(pair: Pair, now: datetime) -> str | None:
    """Why a paused pair stays paused whatever its people type (the end of a sentence
    about it), or None if it is not paused or one of them may resume it."""
    if pair.status != PairStatus.PAUSED:
        return None
    # One sentence whatever the reason: people are told only that the team holds it.
    if (pair.paused_by is not None and pair.paused_by.held_by_team) or safeguarding.obstacles(
        pair, now
    ):
        return "stays paused by the programme team; they'll tell you when it can carry on"
    return None


async def _pause_or_resume(
    outbox: Outbox, *, person: Person, pair: Pair, paused: bool, now: datetime, one: bool
) -> bool:
    """Pause or resume one pair for ``person`` and tell the partner; False if it was not
    in the state to (or, to resume, held by the programme team)."""
    if pair.status != (PairStatus.ACTIVE if paused else PairStatus.PAUSED):
        return False
    if not paused and held(pair, now) is not None:
        return False  # held by the programme team: only a coordinator resumes it (pair resume)
    if paused:
        lifecycle.pause(pair, lifecycle.PauseReason.PARTICIPANT)
    else:
        lifecycle.resume(pair, programme=pair.programme, now=now)
    if one:
        verb = "paused mentoring with you" if paused else "picked up again with you"
    else:
        verb = "paused mentoring" if paused else "picked up again"
    what = (
        "Nothing you need to do; I'll let you know when you can carry on."
        if paused
        else "I'll send your next agenda on the usual rhythm."
    )
    stamp = now.strftime("%Y%m%dT%H%M%S")
    await outbox.to_person(
        pair.other(person.id),
        cards.partner_notice(
            text=f"{person.label} has {verb} in {pair.programme.name}. {what}",
            kind=Kind.PAUSE_NOTICE if paused else Kind.RESUME_NOTICE,
        ),
        key=f"pair:{pair.id}:{'pause' if paused else 'resume'}:{stamp}",
        holds=(pair_paused(pair) if paused else pair_active(pair),),
        about=pair,
    )
    return True


async def pause_pair(session: AsyncSession, *, person: Person, pair: Pair, now: datetime) -> bool:
    """Pause one of a person's pairs (``pause @partner``), not their enrolment; the partner
    is told. False if it was not active."""
    return await _pause_or_resume(
        Outbox(session, now), person=person, pair=pair, paused=True, now=now, one=True
    )


async def resume_pair(session: AsyncSession, *, person: Person, pair: Pair, now: datetime) -> bool:
    """Resume one of a person's pairs (``resume @partner``); the partner is told. False if
    it was not paused, or the programme team holds it."""
    return await _pause_or_resume(
        Outbox(session, now), person=person, pair=pair, paused=False, now=now, one=True
    )


async def set_paused(
    session: AsyncSession,
    *,
    person: Person,
    programme: Programme | None,
    paused: bool,
    now: datetime,
) -> list[Pair]:
    """A break (or the end of one): pause or resume a person's pairs and enrolments (in
    one programme, or all); partners are told. Returns the pairs that changed."""
    changed: list[Pair] = []
    outbox = Outbox(session, now)
    for pair in await repo.live_pairs_of(
        session, person_id=person.id, programme_id=programme.id if programme else None
    ):
        if await _pause_or_resume(
            outbox, person=person, pair=pair, paused=paused, now=now, one=False
        ):
            changed.append(pair)
    for enrolment in await repo.enrolments_of(session, person_id=person.id):
        if programme is None or enrolment.programme_id == programme.id:
            enrolment.status = EnrolmentStatus.PAUSED if paused else EnrolmentStatus.ACTIVE
    return changed


async def _left(outbox: Outbox, *, person: Person, pair: Pair, whole: bool, now: datetime) -> None:
    """End a pair someone stepped out of, no fault; tell the partner and coordinators."""
    programme = pair.programme
    lifecycle.end(pair, reason=lifecycle.EndReason.LEFT, now=now)
    other = pair.other(person.id)
    await outbox.to_person(
        other,
        cards.partner_notice(
            text=f"Your pairing with {person.label} in {programme.name} has come to an end. "
            "People step back for all sorts of reasons, and it says nothing about you. "
            "The programme team will be in touch about what comes next.",
            kind=Kind.PARTNER_LEFT,
        ),
        key=f"pair:{pair.id}:left",
        holds=ALWAYS,  # it says the pairing ended, which stays true
        about=pair,
    )
    did = (
        f"has left {programme.name}"
        if whole
        else f"has ended their pairing with {other.label} in {programme.name}"
    )
    await outbox.to_coordinators(
        programme.workspace_id,
        cards.partner_notice(
            text=f"{person.label} {did}. {other.label} is now without a partner and may need "
            "a new match.",
            kind=Kind.COORDINATOR_LEFT_NOTICE,
        ),
        key=f"pair:{pair.id}:left:coordinators",
        holds=ALWAYS,
        about=pair,
    )


async def _leave_enrolments(
    session: AsyncSession, *, person: Person, programme: Programme, now: datetime, side: Side | None
) -> None:
    enrolments = await session.scalars(
        select(Enrolment).where(
            Enrolment.programme_id == programme.id,
            Enrolment.person_id == person.id,
            Enrolment.status != EnrolmentStatus.LEFT,
        )
    )
    for enrolment in enrolments.unique():
        if side is None or enrolment.side == side:
            enrolment.status = EnrolmentStatus.LEFT
            enrolment.left_at = now


async def leave(
    session: AsyncSession,
    *,
    person: Person,
    programme: Programme,
    now: datetime,
) -> list[Pair]:
    """A no-fault exit: end the person's pairs and enrolments in one programme."""
    outbox = Outbox(session, now)
    ended: list[Pair] = []
    for pair in await repo.live_pairs_of(session, person_id=person.id, programme_id=programme.id):
        await _left(outbox, person=person, pair=pair, whole=True, now=now)
        ended.append(pair)
    await _leave_enrolments(session, person=person, programme=programme, now=now, side=None)
    return ended


async def leave_pair(
    session: AsyncSession, *, person: Person, pair: Pair, now: datetime
) -> list[Pair]:
    """A no-fault end of one pairing (``leave @partner``); the partner and coordinators are
    told. The person stays enrolled on that side while they have other live pairs there;
    with none left, they have left the programme on that side. Returns those other pairs."""
    if pair.status in (PairStatus.ACTIVE, PairStatus.PAUSED):
        await _left(Outbox(session, now), person=person, pair=pair, whole=False, now=now)
    side = Side.MENTOR if pair.mentor_id == person.id else Side.MENTEE
    others = [
        p
        for p in await repo.live_pairs_of(
            session, person_id=person.id, programme_id=pair.programme_id
        )
        if p.id != pair.id and (p.mentor_id if side == Side.MENTOR else p.mentee_id) == person.id
    ]
    if not others:
        await _leave_enrolments(
            session, person=person, programme=pair.programme, now=now, side=side
        )
    return others


async def end_by_team(session: AsyncSession, *, pair: Pair, now: datetime) -> None:
    """The programme team ends a pairing: both people are told kindly, without blame."""
    lifecycle.end(pair, reason=lifecycle.EndReason.ENDED_BY_TEAM, now=now)
    outbox = Outbox(session, now)
    for person in (pair.mentor, pair.mentee):
        await outbox.to_person(
            person,
            cards.partner_notice(
                text=f"The programme team has ended your pairing with "
                f"{pair.other(person.id).label} in {pair.programme.name}. This is no judgement "
                "on anyone; they'll be in touch about what comes next.",
                kind=Kind.UNPAIRED,
            ),
            key=f"pair:{pair.id}:unpaired:{person.id}",
            holds=ALWAYS,
            about=pair,
        )
