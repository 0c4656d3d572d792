"""The csv feature."""

ORDER = 60
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
