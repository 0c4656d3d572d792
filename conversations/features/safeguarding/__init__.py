"""The safeguarding feature."""

ORDER = 55
"""Where this feature's verbs come in help and in "Which one?" lists (lower: earlier)."""
