"""The outbox feature."""
