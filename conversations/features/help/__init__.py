"""The help feature."""
