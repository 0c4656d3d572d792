"""The conduct feature."""

ORDER = 45
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
