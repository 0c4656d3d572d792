"""The conduct feature."""
