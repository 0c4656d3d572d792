"""The enrolment feature."""

ORDER = 20
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
