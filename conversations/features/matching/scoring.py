"""How good a mentor would be for a mentee, for every pair at once.

Scores add up signals a coordinator would weigh: the mentor's strengths
against what the mentee wants to grow (their interests and the words of their
goals), shared interests, the department bridge the programme asks for, a
sensible seniority gap, overlapping working hours and a shared language. They
are computed as matrices so 2,000 × 1,000 people take well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from conversations.features.matching.candidates import WORKDAY_HOURS, Candidate, DepartmentMode

FloatMatrix = NDArray[np.float64]
BoolMatrix = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Weights:
    skills: float = 3.0
    interests: float = 1.0
    department: float = 2.0
    seniority: float = 1.0
    timezone: float = 2.0
    language: float = 1.0
    base: float = 10.0
    """What any allowed pair is worth before fit: large, so that the best total gives as many
    people as possible a mentor rather than a few people a slightly better one."""
    cap: int = 3
    """At most this many shared terms count, so one long list cannot dominate."""


def _onehot(sets: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> FloatMatrix:
    matrix = np.zeros((len(sets), len(vocabulary)), dtype=np.float64)
    for row, terms in enumerate(sets):
        for term in terms:
            index = vocabulary.get(term)
            if index is not None:
                matrix[row, index] = 1.0
    return matrix


def _wanted(mentee: Candidate, skill_terms: Iterable[str]) -> frozenset[str]:
    """What a mentee wants to grow: their interests and any mentor skill named in their goals."""
    if not mentee.goals:
        return mentee.interests
    return mentee.interests | frozenset(t for t in skill_terms if t in mentee.goals)


def scores(
    mentees: Sequence[Candidate],
    mentors: Sequence[Candidate],
    *,
    department_mode: DepartmentMode,
    weights: Weights = Weights(),
) -> FloatMatrix:
    """Score matrix, mentees × mentors, every entry ≥ ``weights.base`` × 0.1."""
    if not mentees or not mentors:
        return np.zeros((len(mentees), len(mentors)))
    skill_terms = sorted({t for m in mentors for t in m.skills})
    vocabulary = {
        t: i
        for i, t in enumerate(
            sorted(set(skill_terms) | {t for c in (*mentees, *mentors) for t in c.interests})
        )
    }
    wanted = _onehot([_wanted(e, skill_terms) for e in mentees], vocabulary)
    mentee_interests = _onehot([e.interests for e in mentees], vocabulary)
    mentor_skills = _onehot([m.skills for m in mentors], vocabulary)
    mentor_interests = _onehot([m.interests for m in mentors], vocabulary)
    total = np.full((len(mentees), len(mentors)), weights.base)
    total += weights.skills * np.minimum(wanted @ mentor_skills.T, weights.cap)
    total += weights.interests * np.minimum(mentee_interests @ mentor_interests.T, weights.cap)

    if department_mode != "any":
        departments = {
            d: i
            for i, d in enumerate(
                sorted({c.department.lower() for c in (*mentees, *mentors) if c.department})
            )
        }
        e_dep = np.array([departments.get(e.department.lower(), -1) for e in mentees])
        m_dep = np.array([departments.get(m.department.lower(), -1) for m in mentors])
        known = (e_dep[:, None] >= 0) & (m_dep[None, :] >= 0)
        same = e_dep[:, None] == m_dep[None, :]
        wanted_relation = ~same if department_mode == "cross" else same
        total += weights.department * (known & wanted_relation)

    e_sen = np.array([e.seniority if e.seniority is not None else -99 for e in mentees])
    m_sen = np.array([m.seniority if m.seniority is not None else -99 for m in mentors])
    known_sen = (e_sen[:, None] >= 0) & (m_sen[None, :] >= 0)
    gap = m_sen[None, :] - e_sen[:, None]
    total += weights.seniority * (known_sen & (gap >= 1) & (gap <= 4))
    total -= weights.seniority * (known_sen & (gap < 0))

    e_off = np.array([e.utc_offset for e in mentees])
    m_off = np.array([m.utc_offset for m in mentors])
    overlap = np.clip(WORKDAY_HOURS - np.abs(e_off[:, None] - m_off[None, :]), 0, WORKDAY_HOURS)
    total += weights.timezone * overlap / WORKDAY_HOURS

    languages = {
        t: i for i, t in enumerate(sorted({t for c in (*mentees, *mentors) for t in c.languages}))
    }
    if languages:
        shared = (
            _onehot([e.languages for e in mentees], languages)
            @ _onehot([m.languages for m in mentors], languages).T
        )
        total += weights.language * (shared > 0)
    floored: FloatMatrix = np.maximum(total, weights.base * 0.1)
    return floored


def feasibility(
    mentees: Sequence[Candidate],
    mentors: Sequence[Candidate],
    *,
    forbidden: Iterable[tuple[int, int]] = (),
    chains: dict[int, tuple[int, ...]] | None = None,
) -> BoolMatrix:
    """Which pairs are allowed at all: hard constraints, mentees × mentors.

    ``forbidden`` holds (mentee person id, mentor person id) pairs that must never
    be proposed: the do-not-pair list, blocks, past pairings, rejected proposals.
    ``chains`` maps a person id to the ids of everyone above them in the reporting
    line; nobody is proposed to mentor someone in their own line, either way.
    """
    allowed = np.ones((len(mentees), len(mentors)), dtype=np.bool_)
    e_index = {e.person_id: i for i, e in enumerate(mentees)}
    m_index = {m.person_id: j for j, m in enumerate(mentors)}
    for person_id, i in e_index.items():
        j = m_index.get(person_id)
        if j is not None:
            allowed[i, j] = False
    for mentee_id, mentor_id in forbidden:
        row, column = e_index.get(mentee_id), m_index.get(mentor_id)
        if row is not None and column is not None:
            allowed[row, column] = False
    for person_id, above in (chains or {}).items():
        for boss in above:
            if person_id in e_index and boss in m_index:
                allowed[e_index[person_id], m_index[boss]] = False
            if person_id in m_index and boss in e_index:
                allowed[e_index[boss], m_index[person_id]] = False
    for j, mentor in enumerate(mentors):
        if mentor.places <= 0:
            allowed[:, j] = False
    return allowed
