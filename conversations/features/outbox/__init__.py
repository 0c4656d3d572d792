"""The outbox feature."""

ORDER = 70
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
