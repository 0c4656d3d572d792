"""Whole-pool matching: candidates, scores, constraints and an optimal assignment.

The pure part (this package's ``candidates``, ``scoring`` and ``solver``) works
on plain data so it can be tested against brute force and benchmarked on
thousands of people; ``proposals`` connects it to the database.
"""

ORDER = 40
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
