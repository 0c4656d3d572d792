"""The meetings feature."""

ORDER = 35
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
