"""Matching benchmark: the optimal whole-pool assignment against greedy, same instance.

Default size is the coordinator issue's: 2,000 mentees and 1,000 mentors of
capacity 2, with random but realistic profiles (departments, skills named in
goals, interests, seniority, time zones across the world, a few languages).
Reported: time to score, time to solve optimally, time for greedy, the total
score of each, and the ratios optimal ÷ greedy for score and for time.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np

from conversations.features.matching.candidates import Candidate, utc_offset_hours
from conversations.features.matching.scoring import Weights, feasibility, scores
from conversations.features.matching.solver import greedy, optimal, total

DEPARTMENTS = (
    "IT",
    "Finance",
    "Sales",
    "Marketing",
    "Operations",
    "Engineering",
    "Legal",
    "People & Culture",
    "Customer care",
    "Research",
    "Executive office",
    "Logistics",
)
SKILLS = (
    "python",
    "data engineering",
    "public speaking",
    "negotiation",
    "budgeting",
    "leadership",
    "project management",
    "design",
    "writing",
    "statistics",
    "security",
    "cloud",
    "coaching",
    "strategy",
    "hiring",
    "product management",
    "sql",
    "ux research",
    "mentoring",
    "facilitation",
    "sales",
    "marketing",
    "operations",
    "accounting",
    "compliance",
    "machine learning",
    "networking",
    "storytelling",
    "change management",
    "customer success",
)
ZONES = (
    "America/Vancouver",
    "America/Edmonton",
    "America/Winnipeg",
    "America/Toronto",
    "America/Halifax",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
)
LANGUAGES = ("english", "french", "spanish")
AT = datetime(2026, 3, 2, 14, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    mentees: int
    mentors: int
    capacity: int
    score_seconds: float
    optimal_seconds: float
    greedy_seconds: float
    optimal_total: float
    greedy_total: float
    optimal_matched: int
    greedy_matched: int
    optimal_fit: float
    """Total minus the per-match base: the quality of fit alone."""
    greedy_fit: float
    score_ratio: float
    """optimal total ÷ greedy total (≥ 1 by construction)."""
    time_ratio: float
    """optimal solve time ÷ greedy time."""
    wall_seconds: float


def _person(rng: random.Random, pid: int, *, mentor: bool, places: int) -> Candidate:
    skills = (
        frozenset(rng.sample(SKILLS, rng.randint(2, 5)))
        if mentor
        else frozenset(rng.sample(SKILLS, rng.randint(0, 2)))
    )
    interests = frozenset(rng.sample(SKILLS, rng.randint(1, 4)))
    goals = " and ".join(rng.sample(SKILLS, rng.randint(0, 2))) if not mentor else ""
    languages = frozenset({"english"} | ({rng.choice(LANGUAGES)} if rng.random() < 0.3 else set()))
    return Candidate(
        person_id=pid,
        name=f"p{pid}",
        department=rng.choice(DEPARTMENTS),
        seniority=rng.randint(4, 10) if mentor else rng.randint(0, 5),
        skills=skills,
        interests=interests,
        goals=f"get better at {goals}" if goals else "",
        languages=languages,
        utc_offset=utc_offset_hours(rng.choice(ZONES), AT),
        places=places,
    )


def instance(
    *, mentees: int, mentors: int, capacity: int, seed: int
) -> tuple[list[Candidate], list[Candidate], set[tuple[int, int]]]:
    rng = random.Random(seed)
    mentee_pool = [_person(rng, i, mentor=False, places=1) for i in range(mentees)]
    mentor_pool = [_person(rng, 100_000 + i, mentor=True, places=capacity) for i in range(mentors)]
    forbidden = {
        (rng.randrange(mentees), 100_000 + rng.randrange(mentors)) for _ in range(mentees // 20)
    }
    return mentee_pool, mentor_pool, forbidden


def run(*, mentees: int = 2000, mentors: int = 1000, capacity: int = 2, seed: int = 2026) -> Result:
    started = time.perf_counter()
    mentee_pool, mentor_pool, forbidden = instance(
        mentees=mentees, mentors=mentors, capacity=capacity, seed=seed
    )
    t0 = time.perf_counter()
    score = scores(mentee_pool, mentor_pool, department_mode="cross")
    allowed = feasibility(mentee_pool, mentor_pool, forbidden=forbidden)
    places = np.array([m.places for m in mentor_pool], dtype=np.int64)
    t1 = time.perf_counter()
    best = optimal(score, allowed, places)
    t2 = time.perf_counter()
    quick = greedy(score, allowed, places)
    t3 = time.perf_counter()
    best_total, quick_total = total(score, best), total(score, quick)
    return Result(
        mentees=mentees,
        mentors=mentors,
        capacity=capacity,
        score_seconds=round(t1 - t0, 3),
        optimal_seconds=round(t2 - t1, 3),
        greedy_seconds=round(t3 - t2, 3),
        optimal_total=round(best_total, 1),
        greedy_total=round(quick_total, 1),
        optimal_matched=len(best),
        greedy_matched=len(quick),
        optimal_fit=round(best_total - Weights().base * len(best), 1),
        greedy_fit=round(quick_total - Weights().base * len(quick), 1),
        score_ratio=round(best_total / quick_total, 4) if quick_total else 1.0,
        time_ratio=round((t2 - t1) / (t3 - t2), 2) if t3 > t2 else 0.0,
        wall_seconds=round(time.perf_counter() - started, 3),
    )


def table(result: Result) -> str:
    rows = [
        (
            "instance",
            f"{result.mentees} mentees × {result.mentors} mentors (capacity {result.capacity})",
        ),
        ("scoring + constraints", f"{result.score_seconds:.3f} s"),
        (
            "optimal assignment",
            f"{result.optimal_seconds:.3f} s, total {result.optimal_total}, "
            f"{result.optimal_matched} matched",
        ),
        (
            "greedy baseline",
            f"{result.greedy_seconds:.3f} s, total {result.greedy_total}, "
            f"{result.greedy_matched} matched",
        ),
        (
            "fit (total less the per-match base)",
            f"optimal {result.optimal_fit}, greedy {result.greedy_fit}",
        ),
        ("optimal ÷ greedy score", f"{result.score_ratio:.4f}"),
        ("optimal ÷ greedy time", f"{result.time_ratio:.2f}"),
        ("wall (all of the above)", f"{result.wall_seconds:.3f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main(*, as_json: bool, mentees: int, mentors: int, capacity: int, seed: int) -> int:
    result = run(mentees=mentees, mentors=mentors, capacity=capacity, seed=seed)
    print(json.dumps({"benchmark": "matching", **asdict(result)}) if as_json else table(result))
    return 0 if result.optimal_total >= result.greedy_total - 1e-6 else 1
