"""An optimal assignment of mentees to mentor places, and the greedy one to compare.

Each mentor with capacity c becomes c identical columns; the Hungarian-style
solver (``scipy.optimize.linear_sum_assignment``) then finds the assignment with
the largest total score. Infeasible cells cost the same as leaving someone
unmatched (zero), so the optimum is a true maximum-weight matching that simply
leaves out anyone with no allowed place.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from conversations.features.matching.scoring import BoolMatrix, FloatMatrix

Assignment = list[tuple[int, int]]
"""(mentee index, mentor index) pairs."""


def optimal(scores: FloatMatrix, allowed: BoolMatrix, places: NDArray[np.int_]) -> Assignment:
    """The maximum-total assignment. scipy is imported here, when a coordinator matches,
    rather than at start-up: it is about 50 MB resident a server would carry all along."""
    from scipy.optimize import linear_sum_assignment

    n_mentees = scores.shape[0]
    slots = np.repeat(np.arange(scores.shape[1]), np.maximum(places, 0))
    if n_mentees == 0 or slots.size == 0:
        return []
    gain = np.where(allowed[:, slots], scores[:, slots], 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    mentors = slots[cols]
    keep = allowed[rows, mentors]
    return sorted(zip(rows[keep].tolist(), mentors[keep].tolist(), strict=True))


def greedy(scores: FloatMatrix, allowed: BoolMatrix, places: NDArray[np.int_]) -> Assignment:
    """Best pair first: the obvious approach, kept as the benchmark's baseline."""
    left = np.maximum(places, 0).astype(np.int64).copy()
    taken = np.zeros(scores.shape[0], dtype=np.bool_)
    order = np.argsort(-np.where(allowed, scores, -np.inf), axis=None, kind="stable")
    chosen: Assignment = []
    for flat in order.tolist():
        i, j = divmod(flat, scores.shape[1])
        if not allowed[i, j]:
            break
        if taken[i] or left[j] == 0:
            continue
        taken[i] = True
        left[j] -= 1
        chosen.append((i, j))
    return sorted(chosen)


def total(scores: FloatMatrix, assignment: Assignment) -> float:
    return float(sum(scores[i, j] for i, j in assignment))
