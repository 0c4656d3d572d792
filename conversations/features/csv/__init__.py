"""The csv feature."""
