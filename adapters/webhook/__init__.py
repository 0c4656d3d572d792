"""Deliver outgoing messages to any HTTP endpoint (integrations, bridges and tests)."""
