"""Proposals: the coordinator's reviewable draft of who mentors whom.

``propose`` solves the whole pool and stores the result as pairs with status
``proposed``; nothing reaches a participant until ``publish``. Pinned
proposals survive a re-run, so a coordinator can fix the pairs they are sure
of and let the optimiser arrange the rest around them. In mentee-choice
programmes the same scores produce up to three suggestions per mentee instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.curriculum import Curriculum
from conversations.features.matching import eligibility
from conversations.features.matching.candidates import Candidate
from conversations.features.matching.pool import Pool, load_pool
from conversations.features.matching.scoring import feasibility, scores
from conversations.features.matching.solver import optimal
from conversations.features.pairing import explain, journeys, lifecycle
from storage import repositories as repo
from storage.models import (
    EnrolmentStatus,
    MatchOffer,
    OfferStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
    Side,
)

SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class Unmatched:
    person: Person
    reason: str


@dataclass(frozen=True, slots=True)
class Outcome:
    proposed: list[Pair]
    unmatched: list[Unmatched]
    """Mentees without a proposal, those on hold (``eligibility``) included, with why."""
    free_places: list[tuple[Person, int]]
    awaiting_conduct: list[Person] = field(default_factory=list)
    """Mentors and unpaired mentees left out until they accept the current code of conduct."""


def reason_for(pool: Pool, mentee: Candidate, allowed_row: np.ndarray) -> str:
    """Why a mentee has no proposal, for the coordinator (never shown to participants)."""
    if not pool.mentors and not pool.uncleared:
        if any(side == Side.MENTOR for _, side in pool.held):
            return "no mentor is ready yet (each must accept the code of conduct first)"
        return "no mentors have joined yet"
    if not pool.mentors:
        return "no mentor has a recorded clearance (this programme is safeguarded)"
    if allowed_row.any():
        return f"every suitable mentor's places are taken ({int(allowed_row.sum())} suitable)"
    counts = Counter(
        pool.why_not(mentee.person_id, m.person_id) or "no places left" for m in pool.mentors
    )
    ruled = "; ".join(f"{n} {why}" for why, n in counts.most_common())
    return f"every mentor is ruled out ({ruled})"


def _explained(pool: Pool, mentee: Candidate, mentor: Candidate) -> str:
    return explain.sentence(
        explain.reasons(mentor=mentor, mentee=mentee, department_mode=pool.department_mode), None
    )


async def clear_unpinned(session: AsyncSession, programme: Programme) -> None:
    await session.execute(
        delete(Pair).where(
            Pair.programme_id == programme.id,
            Pair.status == PairStatus.PROPOSED,
            Pair.pinned.is_(False),
        )
    )
    await session.execute(
        delete(MatchOffer).where(
            MatchOffer.programme_id == programme.id,
            MatchOffer.status == OfferStatus.SUGGESTED,
        )
    )


async def propose(
    session: AsyncSession,
    *,
    programme: Programme,
    curriculum: Curriculum,
    created_by: Person,
    now: datetime,
) -> Outcome:
    await clear_unpinned(session, programme)
    pool = await load_pool(session, programme=programme, curriculum=curriculum, now=now)
    score = scores(pool.mentees, pool.mentors, department_mode=pool.department_mode)
    allowed = feasibility(pool.mentees, pool.mentors, forbidden=pool.forbidden, chains=pool.chains)
    places = np.array([m.places for m in pool.mentors], dtype=np.int64)
    chosen = optimal(score, allowed, places)
    for i, j in chosen:
        mentee, mentor = pool.mentees[i], pool.mentors[j]
        session.add(
            lifecycle.proposed(
                programme_id=programme.id,
                mentor_id=mentor.person_id,
                mentee_id=mentee.person_id,
                reason=_explained(pool, mentee, mentor),
                score=round(float(score[i, j]), 2),
                created_by_id=created_by.id,
                now=now,
            )
        )
    await session.flush()
    return await describe(session, programme=programme, curriculum=curriculum, now=now)


async def proposed_pairs(session: AsyncSession, programme: Programme) -> list[Pair]:
    rows = await session.scalars(
        select(Pair)
        .where(Pair.programme_id == programme.id, Pair.status == PairStatus.PROPOSED)
        .order_by(Pair.id)
    )
    return list(rows.unique())


async def describe(
    session: AsyncSession, *, programme: Programme, curriculum: Curriculum, now: datetime
) -> Outcome:
    """The current proposal, with who is left out and why, and spare mentor places."""
    proposed = await proposed_pairs(session, programme)
    pool = await load_pool(session, programme=programme, curriculum=curriculum, now=now)
    proposed_mentees = {p.mentee_id for p in proposed}
    used = Counter(p.mentor_id for p in proposed if not p.pinned)
    waiting = [m for m in pool.mentees if m.person_id not in proposed_mentees]
    mentors = [
        Candidate(person_id=m.person_id, name=m.name, places=m.places - used.get(m.person_id, 0))
        for m in pool.mentors
    ]
    allowed_ignoring_places = feasibility(
        waiting,
        [Candidate(person_id=m.person_id, name=m.name) for m in pool.mentors],
        forbidden=pool.forbidden,
        chains=pool.chains,
    )
    unmatched = [
        Unmatched(pool.people[m.person_id], reason_for(pool, m, allowed_ignoring_places[i]))
        for i, m in enumerate(waiting)
    ]
    on_hold = sorted(
        (person_id, side)
        for person_id, side in pool.held
        if side == Side.MENTOR
        or (person_id not in pool.taken_mentees and person_id not in proposed_mentees)
    )
    unmatched += [
        Unmatched(pool.people[person_id], eligibility.waiting_for(pool.held[(person_id, side)]))
        for person_id, side in on_hold
        if side == Side.MENTEE
    ]
    awaiting = [
        pool.people[person_id]
        for person_id, side in on_hold
        if pool.held[(person_id, side)] == "conduct"
    ]
    free = [(pool.people[m.person_id], m.places) for m in mentors if m.places > 0]
    return Outcome(
        proposed=proposed, unmatched=unmatched, free_places=free, awaiting_conduct=awaiting
    )


async def suggest(
    session: AsyncSession,
    *,
    programme: Programme,
    curriculum: Curriculum,
    now: datetime,
) -> dict[int, list[MatchOffer]]:
    """Mentee-choice mode: up to three mentors per mentee still choosing, best first."""
    await clear_unpinned(session, programme)
    pool = await load_pool(session, programme=programme, curriculum=curriculum, now=now)
    busy = set(
        (
            await session.scalars(
                select(MatchOffer.mentee_id).where(
                    MatchOffer.programme_id == programme.id,
                    MatchOffer.status.in_((OfferStatus.OFFERED, OfferStatus.ASKED)),
                )
            )
        ).all()
    )
    mentees = [m for m in pool.mentees if m.person_id not in busy]
    score = scores(mentees, pool.mentors, department_mode=pool.department_mode)
    allowed = feasibility(mentees, pool.mentors, forbidden=pool.forbidden, chains=pool.chains)
    offered: dict[int, list[MatchOffer]] = {}
    for i, mentee in enumerate(mentees):
        ranked = [j for j in np.argsort(-score[i], kind="stable").tolist() if allowed[i, j]]
        for rank, j in enumerate(ranked[:SUGGESTIONS], start=1):
            mentor = pool.mentors[j]
            offer = MatchOffer(
                programme_id=programme.id,
                mentee_id=mentee.person_id,
                mentor_id=mentor.person_id,
                rank=rank,
                score=round(float(score[i, j]), 2),
                reason=_explained(pool, mentee, mentor),
                status=OfferStatus.SUGGESTED,
                created_at=now,
            )
            session.add(offer)
            offered.setdefault(mentee.person_id, []).append(offer)
    await session.flush()
    return offered


async def _still_valid(session: AsyncSession, pair: Pair, now: datetime) -> str | None:
    """Why a proposed pair can no longer start (things change between match and publish)."""
    programme = pair.programme
    mentee = await repo.enrolment(
        session, programme_id=programme.id, person_id=pair.mentee_id, side=Side.MENTEE
    )
    mentor = await repo.enrolment(
        session, programme_id=programme.id, person_id=pair.mentor_id, side=Side.MENTOR
    )
    if mentee is None or mentee.status != EnrolmentStatus.ACTIVE:
        return f"{pair.mentee.label} is no longer taking part"
    if mentor is None or mentor.status != EnrolmentStatus.ACTIVE:
        return f"{pair.mentor.label} is no longer an active mentor"
    found = await eligibility.problems(
        session,
        programme=programme,
        mentor=pair.mentor,
        mentee=pair.mentee,
        mentor_enrolment=mentor,
        mentee_enrolment=mentee,
        now=now,
    )
    if found:
        return "; ".join(problem.text for problem in found)
    if any(
        p.mentee_id == pair.mentee_id
        for p in await repo.live_pairs_of(
            session, person_id=pair.mentee_id, programme_id=programme.id
        )
    ):
        return f"{pair.mentee.label} already has a mentor"
    taken = await repo.count_live_mentees(
        session, programme_id=programme.id, mentor_id=pair.mentor_id
    )
    if taken >= mentor.capacity:
        return f"{pair.mentor.label} has no places left"
    return None


async def publish_pairs(
    session: AsyncSession, *, programme: Programme, curriculum: Curriculum, now: datetime
) -> tuple[list[Pair], list[str]]:
    """Start every proposed pair still valid; returns those started and notes on the rest."""
    started: list[Pair] = []
    skipped: list[str] = []
    for pair in await proposed_pairs(session, programme):
        problem = await _still_valid(session, pair, now)
        if problem is None:
            await journeys.activate(session, pair=pair, curriculum=curriculum, now=now)
            await session.flush()
            started.append(pair)
        else:
            skipped.append(f"{pair.mentor.label} → {pair.mentee.label}: {problem}")
            await session.delete(pair)
    return started, skipped
