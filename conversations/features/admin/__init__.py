"""The admin feature."""

ORDER = 15
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
