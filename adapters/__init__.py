"""Thin platform adapters: translate payloads to neutral events and messages to platform UI."""
