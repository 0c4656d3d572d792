"""What a platform brings to the process, described in one place per adapter package.

Adding a platform means adding a package under ``adapters/`` whose ``plugin`` module
holds a ``PLATFORM``: a :class:`Platform` that says which environment variables it
reads (its own settings model), whether it is configured, which inbound paths are
its own, its published rate limits, how its messages leave (transports), what it
mounts on the web server, which setup commands it adds to ``mentorbot`` and which
personal-data hooks its tables need. ``bot`` discovers the packages at start-up and
asks each; nothing in ``bot`` names a platform, so nothing there changes when one is
added.

A plugin module imports no SDK at import time: discovery happens in every process
(the CLI, the demo), and a platform's SDK is loaded only when that platform is used.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from adapters.platform import Host, PlatformAdapter
    from conversations.delivery import Transport
    from conversations.ratelimit import Policy
    from conversations.registry import Registry

S = TypeVar("S", bound="PlatformSettings")
C = TypeVar("C")


class PlatformSettings(BaseSettings):
    """A platform's own environment variables, read like the process's (``.env`` too)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )


class PlatformError(Exception):
    """A platform cannot run as configured; the message names the variables to set."""


def http_url(value: str | None) -> str | None:
    """A base URL setting: blank is unset; anything else must be http(s)."""
    if value is None or not value.strip():
        return None
    if not value.strip().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value.strip()


def blank_is_unset(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


class Platform(ABC, Generic[S, C]):
    """One platform, as the process sees it. ``S`` is its settings model; ``C`` is what
    its settings become once checked (``None`` from :meth:`config`: not configured)."""

    name: ClassVar[str]
    """The name workspaces are stored under and deliveries are routed by."""
    settings: ClassVar[type[PlatformSettings]]
    inbound: ClassVar[tuple[str, ...]] = ()
    """Path prefixes of the requests this platform sends us (logs and metrics)."""
    fallback: ClassVar[bool] = False
    """A fallback transport carries every platform that has no transport of its own."""

    @abstractmethod
    def config(self, settings: S, options: argparse.Namespace | None = None) -> C | None:
        """The checked configuration, or None when this platform is not configured; raises
        :class:`PlatformError` when it is configured in a way that cannot work. ``options``
        are ``serve``'s command-line options (None elsewhere)."""

    def rate_policy(self, settings: S) -> Policy | None:
        """The platform's published limits, with the per-workspace budget from settings."""
        return None

    def transports(self, host: Host, config: C) -> Mapping[str, Transport]:
        """How messages leave, by the platform name they are routed by."""
        return {}

    def adapter(self, host: Host, config: C) -> PlatformAdapter | None:
        """What receives this platform's requests on the web server, if anything."""
        return None

    def register(self, registry: Registry) -> None:
        """Add the hooks this platform's own tables need (personal data, above all)."""

    def serve_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this platform's options to ``mentorbot serve``."""

    def add_commands(self, commands: Any) -> None:
        """Add this platform's setup commands to ``mentorbot`` (argparse sub-parsers)."""

    def run_command(self, args: argparse.Namespace) -> int:
        """Run one of the commands :meth:`add_commands` added; returns the exit status."""
        return 2


@cache
def discover() -> tuple[Platform[Any, Any], ...]:
    """Every platform package's ``PLATFORM``, by name: each package under ``adapters``
    with a ``plugin`` module."""
    import adapters

    found: list[Platform[Any, Any]] = []
    for package in sorted(pkgutil.iter_modules(adapters.__path__), key=lambda m: m.name):
        if not package.ispkg:
            continue
        try:
            module = importlib.import_module(f"adapters.{package.name}.plugin")
        except ModuleNotFoundError as exc:
            if exc.name != f"adapters.{package.name}.plugin":
                raise
            continue
        found.append(module.PLATFORM)
    return tuple(found)
