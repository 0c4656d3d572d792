"""The programmes feature."""
