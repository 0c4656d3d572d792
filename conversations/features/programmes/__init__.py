"""The programmes feature."""

ORDER = 10
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
