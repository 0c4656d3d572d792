"""The concerns feature."""
