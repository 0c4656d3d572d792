"""Microsoft Teams, as the process sees it: its settings, its server route, its
transport, its limits, its tables' personal-data hooks and ``mentorbot teams package``
(see :mod:`adapters.plugins`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from adapters.plugins import Platform, PlatformSettings, blank_is_unset, http_url

if TYPE_CHECKING:
    from adapters.platform import Host, PlatformAdapter
    from adapters.teams.connector import TeamsConfig
    from conversations.delivery import Transport
    from conversations.ratelimit import Policy
    from conversations.registry import Registry

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


class TeamsSettings(PlatformSettings):
    microsoft_app_id: str | None = Field(default=None)
    microsoft_app_password: str | None = Field(default=None)
    microsoft_app_type: str = Field(default="MultiTenant")
    microsoft_app_tenant_id: str | None = Field(default=None)
    teams_enabled: bool = Field(default=False)
    teams_file_url: str | None = Field(default=None)
    teams_tenant_rate: float = Field(default=20.0, gt=0, le=10000)
    teams_channels: str = Field(default="msteams")
    teams_service_urls: str | None = Field(default=None)

    @field_validator("teams_channels")
    @classmethod
    def _channels(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        if not names:
            raise ValueError("must name at least one channel, e.g. msteams")
        return ",".join(names)

    @field_validator("teams_service_urls")
    @classmethod
    def _service_urls(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        urls = [url.strip() for url in value.split(",") if url.strip()]
        if not all(url.startswith("https://") for url in urls):
            raise ValueError("must be https:// URLs, separated by commas")
        return ",".join(urls)

    @property
    def active(self) -> bool:
        """Teams is served when the bot has an app id, or when asked to without one (local
        development with the Bot Framework Emulator: no authentication)."""
        return bool(self.microsoft_app_id) or self.teams_enabled

    @field_validator("microsoft_app_id", "microsoft_app_password", "microsoft_app_tenant_id")
    @classmethod
    def _blank(cls, value: str | None) -> str | None:
        return blank_is_unset(value)

    @field_validator("microsoft_app_type")
    @classmethod
    def _app_type(cls, value: str) -> str:
        for known in APP_TYPES:
            if value.strip().lower() == known.lower():
                return known
        raise ValueError(f"must be one of {', '.join(APP_TYPES)}")

    @field_validator("teams_file_url")
    @classmethod
    def _file_url(cls, value: str | None) -> str | None:
        url = http_url(value)
        return url.rstrip("/") + "/" if url else None

    @model_validator(mode="after")
    def _credentials(self) -> TeamsSettings:
        """An app id needs what its app type signs in with, or every reply would fail later."""
        if not self.microsoft_app_id:
            return self
        kind = self.microsoft_app_type
        if kind in ("MultiTenant", "SingleTenant") and not self.microsoft_app_password:
            raise ValueError(
                f"MICROSOFT_APP_PASSWORD is needed with MICROSOFT_APP_ID for a {kind} bot"
            )
        if kind in ("SingleTenant", "UserAssignedMSI") and not self.microsoft_app_tenant_id:
            raise ValueError(
                f"MICROSOFT_APP_TENANT_ID is needed with MICROSOFT_APP_ID for a {kind} bot"
            )
        return self


class Teams(Platform[TeamsSettings, "TeamsConfig"]):
    name = "teams"
    settings = TeamsSettings
    inbound = ("/api/messages",)

    def config(
        self, settings: TeamsSettings, options: argparse.Namespace | None = None
    ) -> TeamsConfig | None:
        if not settings.active:
            return None
        from adapters.teams.connector import SERVICE_URLS, TeamsConfig

        return TeamsConfig(
            app_id=settings.microsoft_app_id,
            app_password=settings.microsoft_app_password,
            app_type=settings.microsoft_app_type,
            tenant_id=settings.microsoft_app_tenant_id,
            file_url=settings.teams_file_url,
            channels=frozenset(settings.teams_channels.split(",")),
            service_urls=(
                tuple(settings.teams_service_urls.split(","))
                if settings.teams_service_urls
                else SERVICE_URLS
            ),
        )

    def rate_policy(self, settings: TeamsSettings) -> Policy:
        from adapters.teams.limits import rate_policy

        return rate_policy(settings.teams_tenant_rate)

    def transports(self, host: Host, config: TeamsConfig) -> Mapping[str, Transport]:
        from adapters.teams.connector import cloud_adapter
        from adapters.teams.transport import TeamsTransport

        return {
            self.name: TeamsTransport(
                cloud_adapter(config), host.sessions, app_id=config.app_id, now=host.clock.now
            )
        }

    def adapter(self, host: Host, config: TeamsConfig) -> PlatformAdapter:
        from adapters.teams.app import TeamsAdapter

        return TeamsAdapter(host, config)

    def register(self, registry: Registry) -> None:
        from adapters.teams import store

        store.register(registry)

    def add_commands(self, commands: Any) -> None:
        teams = commands.add_parser(self.name, help="Microsoft Teams app setup")
        actions = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
        package = actions.add_parser("package", help="write the Teams app package (zip)")
        package.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (GUID)")
        package.add_argument(
            "--host", required=True, help="this server's host name, e.g. mentor.example.org"
        )
        package.add_argument(
            "--out",
            type=Path,
            default=Path("mentorbot-teams.zip"),
            help="zip file to write (default: %(default)s)",
        )

    def run_command(self, args: argparse.Namespace) -> int:
        from adapters.teams.package import package

        try:
            print(package(app_id=args.app_id, host=args.host, out=args.out))
        except ValueError as exc:
            print(f"mentorbot: {exc}", file=sys.stderr)
            return 2
        return 0


PLATFORM = Teams()
