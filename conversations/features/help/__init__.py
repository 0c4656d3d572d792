"""The help feature."""

ORDER = 90
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
