"""Where things are, computed once: test modules move between folders, these do not."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout: pyproject.toml, README.md, the Dockerfile."""

FIXTURES = Path(__file__).resolve().parent / "fixtures"
"""Payloads stored as the platforms send them (``slack/``, ``teams/``)."""

SCHEMAS = ROOT.parent / "shared" / "schemas"
"""Published JSON schemas, laid beside the checkout (see shared/schemas/README.md)."""
