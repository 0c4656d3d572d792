"""A pair's life: introductions, sessions, meetings, check-ins, pauses and endings."""

ORDER = 30
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
