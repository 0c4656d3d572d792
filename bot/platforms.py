"""The platforms this process can run, found under ``adapters/`` (see :mod:`adapters.plugins`).

Everything ``bot`` does per platform goes through here: which are configured, how
their messages leave, their rate limits, what they mount on the web server, their
setup commands and the hooks for their tables. Nothing here names a platform.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adapters.plugins import Platform, discover
from bot.transports import Router

if TYPE_CHECKING:
    from adapters.platform import Host, PlatformAdapter
    from bot.config import Settings
    from conversations.delivery import Transport
    from conversations.ratelimit import Policy
    from conversations.registry import Registry

Configs = Mapping[str, Any]
"""Each configured platform's checked configuration, by platform name."""


def configured(
    settings: Settings,
    options: argparse.Namespace | None = None,
    *,
    overrides: Configs | None = None,
) -> dict[str, Any]:
    """The configured platforms' configurations; ``overrides`` replace what a platform's
    settings would give (a test's local key server, say). Raises
    :class:`adapters.plugins.PlatformError` for a platform configured in a way that
    cannot work."""
    configs: dict[str, Any] = {}
    for platform in discover():
        if overrides is not None and platform.name in overrides:
            config = overrides[platform.name]
        else:
            config = platform.config(settings.platform(platform.name), options)
        if config is not None:
            configs[platform.name] = config
    return configs


def transports(host: Host, configs: Configs) -> Router | None:
    """How each platform's messages leave: its own transport, else a fallback's (the
    webhook); None when there is none at all."""
    routes: dict[str, Transport] = {}
    fallbacks: list[Transport] = []
    for platform in discover():
        if platform.name not in configs:
            continue
        made = platform.transports(host, configs[platform.name])
        if platform.fallback:
            fallbacks += made.values()
        routes.update(made)
    for fallback in fallbacks:
        for platform in discover():
            routes.setdefault(platform.name, fallback)
    return Router(routes) if routes else None


def rate_policies(settings: Settings) -> dict[str, Policy]:
    """Each platform's published limits, with its workspace budget from settings."""
    policies: dict[str, Policy] = {}
    for platform in discover():
        policy = platform.rate_policy(settings.platform(platform.name))
        if policy is not None:
            policies[platform.name] = policy
    return policies


def adapters(host: Host, configs: Configs) -> list[PlatformAdapter]:
    """What receives the configured platforms' requests on the web server."""
    made = []
    for platform in discover():
        if platform.name in configs:
            adapter = platform.adapter(host, configs[platform.name])
            if adapter is not None:
                made.append(adapter)
    return made


def chat_platforms() -> list[str]:
    """The platforms people chat on (not a fallback transport such as the webhook)."""
    return [platform.name for platform in discover() if not platform.fallback]


def inbound_platform(path: str) -> str | None:
    """Which platform sends requests to ``path`` (None: not a platform's path)."""
    for platform in discover():
        if path.startswith(platform.inbound):
            return platform.name
    return None


def register(registry: Registry) -> None:
    """Each platform's hooks for its own tables join the engine's."""
    for platform in discover():
        platform.register(registry)


def add_commands(commands: Any) -> None:
    for platform in discover():
        platform.add_commands(commands)


def serve_arguments(parser: argparse.ArgumentParser) -> None:
    for platform in discover():
        platform.serve_arguments(parser)


def command_owner(command: str) -> Platform[Any, Any] | None:
    """The platform whose setup command ``command`` is."""
    return next((each for each in discover() if each.name == command), None)
