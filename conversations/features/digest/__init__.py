"""The digest feature."""

ORDER = 65
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
