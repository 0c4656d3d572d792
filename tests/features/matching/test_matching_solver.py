"""The optimiser finds the true optimum; greedy never beats it; scores mean what they say."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from conversations.features.matching.candidates import Candidate, overlap_hours
from conversations.features.matching.scoring import feasibility, scores
from conversations.features.matching.solver import greedy, optimal, total


def brute_force(score: np.ndarray, allowed: np.ndarray, places: np.ndarray) -> float:
    """The best total over every way to give each mentee one mentor or none."""
    n_mentees, n_mentors = score.shape
    best = 0.0
    for choice in itertools.product(range(-1, n_mentors), repeat=n_mentees):
        used = np.zeros(n_mentors, dtype=int)
        value = 0.0
        for i, j in enumerate(choice):
            if j < 0:
                continue
            if not allowed[i, j]:
                break
            used[j] += 1
            value += score[i, j]
        else:
            if np.all(used <= places):
                best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_the_optimiser_equals_brute_force_on_small_random_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_mentees, n_mentors = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    score = rng.uniform(0.1, 10, size=(n_mentees, n_mentors)).round(2)
    allowed = rng.random((n_mentees, n_mentors)) > 0.25
    places = rng.integers(0, 3, size=n_mentors)
    best = optimal(score, allowed, places)
    assert total(score, best) == pytest.approx(brute_force(score, allowed, places))
    assert all(allowed[i, j] for i, j in best)
    assert len({i for i, _ in best}) == len(best)
    counts = np.bincount([j for _, j in best], minlength=n_mentors)
    assert np.all(counts <= places)
    assert total(score, greedy(score, allowed, places)) <= total(score, best) + 1e-9


def test_greedy_can_be_beaten() -> None:
    score = np.array([[10.0, 9.0], [9.0, 1.0]])
    allowed = np.ones((2, 2), dtype=bool)
    places = np.array([1, 1])
    assert total(score, greedy(score, allowed, places)) == 11.0
    assert total(score, optimal(score, allowed, places)) == 18.0


def _person(pid: int, **kwargs: object) -> Candidate:
    return Candidate(person_id=pid, name=f"p{pid}", **kwargs)  # type: ignore[arg-type]


def test_scores_reward_strengths_that_meet_goals_and_a_department_bridge() -> None:
    mentee = _person(
        1,
        department="IT",
        interests=frozenset({"leadership"}),
        goals="get better at public speaking",
    )
    strong = _person(2, department="Finance", skills=frozenset({"leadership", "public speaking"}))
    same_team = _person(3, department="IT", skills=frozenset({"leadership", "public speaking"}))
    unrelated = _person(4, department="Sales", skills=frozenset({"pottery"}))
    cross = scores([mentee], [strong, same_team, unrelated], department_mode="cross")[0]
    assert cross[0] > cross[1] > cross[2]
    assert cross[0] - cross[1] == pytest.approx(2.0)  # the department bridge
    # two wanted strengths (2 × 3) outweigh the other bridge (2)
    assert cross[1] - cross[2] == pytest.approx(6.0 - 2.0)


def test_working_hours_overlap_shrinks_with_distance() -> None:
    assert overlap_hours(-5, -3) == 6
    assert overlap_hours(-8, 5.5) == 0
    near, far = _person(2, utc_offset=-4.0), _person(3, utc_offset=5.5)
    row = scores([_person(1, utc_offset=-3.0)], [near, far], department_mode="any")[0]
    assert row[0] - row[1] == pytest.approx(2.0 * 7 / 8)


def test_hard_constraints_remove_pairs() -> None:
    mentees = [_person(1), _person(2), _person(3)]
    mentors = [_person(10), _person(11), _person(3), _person(12, places=0)]
    allowed = feasibility(mentees, mentors, forbidden=[(1, 10)], chains={2: (11, 99)})
    assert allowed.tolist() == [
        [False, True, True, False],  # do-not-pair with 10; 12 has no places
        [True, False, True, False],  # 11 is in 2's reporting line
        [True, True, False, False],  # 3 cannot mentor themselves
    ]


def test_a_large_random_instance_is_solved_and_beats_or_ties_greedy() -> None:
    rnd = random.Random(7)
    terms = [f"t{i}" for i in range(40)]
    mentees = [
        _person(
            i,
            interests=frozenset(rnd.sample(terms, 3)),
            utc_offset=float(rnd.choice([-8, -5, 0, 1, 5.5])),
        )
        for i in range(300)
    ]
    mentors = [
        _person(
            1000 + i,
            skills=frozenset(rnd.sample(terms, 4)),
            utc_offset=float(rnd.choice([-8, -5, 0, 1, 5.5])),
            places=2,
        )
        for i in range(150)
    ]
    score = scores(mentees, mentors, department_mode="any")
    allowed = feasibility(mentees, mentors)
    places = np.array([m.places for m in mentors])
    best = optimal(score, allowed, places)
    assert len(best) == 300
    assert total(score, best) >= total(score, greedy(score, allowed, places))
