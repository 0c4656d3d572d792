"""Loading a programme's matching pool from the database, with every hard constraint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.curriculum import Curriculum
from conversations.features.enrolment import standing
from conversations.features.matching import eligibility
from conversations.features.matching.candidates import Candidate, DepartmentMode, candidate
from conversations.features.matching.eligibility import clearance_valid
from conversations.features.pairing.journeys import department_mode
from storage.models import (
    DoNotPair,
    Enrolment,
    EnrolmentStatus,
    Pair,
    PairStatus,
    Person,
    Programme,
    Side,
)

MAX_CHAIN = 30

__all__ = ["MAX_CHAIN", "Pool", "clearance_valid", "load_pool"]


@dataclass
class Pool:
    """Who can be matched in one programme right now, and what rules them out."""

    programme: Programme
    department_mode: DepartmentMode
    mentees: list[Candidate]
    mentors: list[Candidate]
    people: dict[int, Person]
    enrolments: dict[tuple[int, str], Enrolment]
    do_not_pair: set[tuple[int, int]] = field(default_factory=set)
    past: set[tuple[int, int]] = field(default_factory=set)
    rejected: set[tuple[int, int]] = field(default_factory=set)
    chains: dict[int, tuple[int, ...]] = field(default_factory=dict)
    uncleared: set[int] = field(default_factory=set)
    """Mentors left out because a safeguarded programme needs a recorded clearance."""
    held: dict[tuple[int, str], eligibility.HoldKind] = field(default_factory=dict)
    """(person id, side) → why that enrolment is left out for now: the code of conduct not
    accepted, or a minor's guardian consent not recorded (see ``eligibility``)."""
    ages: set[tuple[int, int]] = field(default_factory=set)
    """(mentee id, mentor id): an adult and a minor, outside a safeguarded programme."""
    taken_mentees: set[int] = field(default_factory=set)
    """Mentees who already have a mentor, or a pinned proposal."""

    @property
    def forbidden(self) -> set[tuple[int, int]]:
        return self.do_not_pair | self.past | self.rejected | self.ages

    def why_not(self, mentee_id: int, mentor_id: int) -> str | None:
        """The hard constraint that rules a pair out, in a coordinator's words."""
        if mentee_id == mentor_id:
            return "the same person"
        for key in ((mentee_id, Side.MENTEE), (mentor_id, Side.MENTOR)):
            if key in self.held:
                return eligibility.held_because(self.held[key], self.people[key[0]])
        if mentor_id in self.uncleared:
            return "no recorded clearance"
        if (mentee_id, mentor_id) in self.ages:
            return eligibility.AGES
        if (mentee_id, mentor_id) in self.do_not_pair:
            return "on the do-not-pair list"
        if mentor_id in self.chains.get(mentee_id, ()) or mentee_id in self.chains.get(
            mentor_id, ()
        ):
            return "in the same reporting line"
        if (mentee_id, mentor_id) in self.past:
            return "paired before in this programme"
        if (mentee_id, mentor_id) in self.rejected:
            return "a proposal the coordinator removed"
        return None


def _chains(managers: dict[int, int | None], wanted: set[int]) -> dict[int, tuple[int, ...]]:
    chains: dict[int, tuple[int, ...]] = {}
    for person_id in wanted:
        above: list[int] = []
        boss = managers.get(person_id)
        while boss is not None and boss not in above and len(above) < MAX_CHAIN:
            above.append(boss)
            boss = managers.get(boss)
        if above:
            chains[person_id] = tuple(above)
    return chains


async def load_pool(
    session: AsyncSession, *, programme: Programme, curriculum: Curriculum, now: datetime
) -> Pool:
    """Everyone still to be matched, with mentors' remaining places after live and pinned pairs.

    Mentees are those who wait for a mentor (``standing.waiting``), less pinned proposals.
    Unpinned proposals are ignored (a new run replaces them); pinned ones hold
    their mentee and a mentor place. Enrolments on hold (``eligibility.hold``) stay
    in ``enrolments`` and ``held`` but are left out of the candidates.
    """
    enrolments = (
        (
            await session.scalars(
                select(Enrolment).where(
                    Enrolment.programme_id == programme.id,
                    Enrolment.status == EnrolmentStatus.ACTIVE,
                )
            )
        )
        .unique()
        .all()
    )
    pairs = (await session.scalars(select(Pair).where(Pair.programme_id == programme.id))).unique()
    taken_mentees: set[int] = set()
    used_places: dict[int, int] = {}
    past: set[tuple[int, int]] = set()
    for pair in pairs:
        holds = pair.status in (PairStatus.ACTIVE, PairStatus.PAUSED) or (
            pair.status == PairStatus.PROPOSED and pair.pinned
        )
        if holds:
            taken_mentees.add(pair.mentee_id)
            used_places[pair.mentor_id] = used_places.get(pair.mentor_id, 0) + 1
        if pair.status != PairStatus.PROPOSED:
            past.add((pair.mentee_id, pair.mentor_id))
    mode = department_mode(programme, curriculum)
    people = {e.person_id: e.person for e in enrolments}
    by_side = {(e.person_id, e.side): e for e in enrolments}
    held: dict[tuple[int, str], eligibility.HoldKind] = {}
    for e in enrolments:
        kind = eligibility.hold(programme, e, e.person)
        if kind is not None:
            held[(e.person_id, e.side)] = kind
    # Only mentees who wait for a mentor, as everywhere else (``standing.waiting``): a
    # mentee whose pairing completed has finished, and is not offered another mentor.
    waiting = set(
        await session.scalars(
            select(Enrolment.id).where(
                Enrolment.programme_id == programme.id,
                Enrolment.side == Side.MENTEE,
                standing.waiting(),
            )
        )
    )
    mentees = [
        candidate(e.person, e, at=now)
        for e in enrolments
        if e.id in waiting
        and e.person_id not in taken_mentees
        and (e.person_id, e.side) not in held
    ]
    mentors: list[Candidate] = []
    uncleared: set[int] = set()
    for e in enrolments:
        if e.side != Side.MENTOR or (e.person_id, e.side) in held:
            continue
        if programme.safeguarded and not clearance_valid(e.person, now):
            uncleared.add(e.person_id)
            continue
        places = e.capacity - used_places.get(e.person_id, 0)
        mentors.append(candidate(e.person, e, at=now, places=max(places, 0)))
    blocks = await session.scalars(
        select(DoNotPair).where(DoNotPair.workspace_id == programme.workspace_id)
    )
    do_not_pair: set[tuple[int, int]] = set()
    for row in blocks:
        do_not_pair |= {(row.first_id, row.second_id), (row.second_id, row.first_id)}
    rejected = {(int(a), int(b)) for a, b in programme.settings.get("rejected", [])}
    managers = dict(
        (
            await session.execute(
                select(Person.id, Person.manager_id).where(
                    Person.workspace_id == programme.workspace_id,
                    Person.manager_id.is_not(None),
                )
            )
        ).all()
    )
    ages: set[tuple[int, int]] = set()
    if not programme.safeguarded:
        minors = {m.person_id for m in (*mentees, *mentors) if people[m.person_id].is_minor}
        if minors:
            ages = {
                (e.person_id, m.person_id)
                for e in mentees
                for m in mentors
                if (e.person_id in minors) != (m.person_id in minors)
            }
    return Pool(
        programme=programme,
        department_mode=mode,
        mentees=sorted(mentees, key=lambda c: c.person_id),
        mentors=sorted(mentors, key=lambda c: c.person_id),
        people=people,
        enrolments=by_side,
        do_not_pair=do_not_pair,
        past=past,
        rejected=rejected,
        chains=_chains(managers, set(people)),
        uncleared=uncleared,
        held=held,
        ages=ages,
        taken_mentees=taken_mentees,
    )
