"""The privacy feature."""

ORDER = 80
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
