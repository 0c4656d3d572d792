"""The concerns feature."""

ORDER = 50
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
