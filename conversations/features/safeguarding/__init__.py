"""The safeguarding feature."""
