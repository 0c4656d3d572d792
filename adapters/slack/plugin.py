"""Slack, as the process sees it: its settings, its server routes, its transport, its
limits and ``mentorbot slack manifest`` (see :mod:`adapters.plugins`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from adapters.plugins import Platform, PlatformError, PlatformSettings, http_url

if TYPE_CHECKING:
    from adapters.platform import Host, PlatformAdapter
    from adapters.slack.tokens import SlackConfig
    from conversations.delivery import Transport
    from conversations.ratelimit import Policy


class SlackSettings(PlatformSettings):
    slack_bot_token: str | None = Field(default=None)
    slack_signing_secret: str | None = Field(default=None)
    slack_api_url: str | None = Field(default=None)
    slack_client_id: str | None = Field(default=None)
    slack_client_secret: str | None = Field(default=None)
    slack_app_token: str | None = Field(default=None)
    slack_workspace_rate: float = Field(default=20.0, gt=0, le=10000)

    @field_validator("slack_api_url")
    @classmethod
    def _api(cls, value: str | None) -> str | None:
        url = http_url(value)
        return url.rstrip("/") + "/" if url else None

    @property
    def enabled(self) -> bool:
        """A signing secret and either a bot token or an app's client id and secret."""
        return bool(
            self.slack_signing_secret
            and (self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))
        )


class Slack(Platform[SlackSettings, "SlackConfig"]):
    name = "slack"
    settings = SlackSettings
    inbound = ("/slack/",)

    def config(
        self, settings: SlackSettings, options: argparse.Namespace | None = None
    ) -> SlackConfig | None:
        socket_mode = bool(getattr(options, "socket_mode", False))
        if socket_mode and not (settings.enabled and settings.slack_app_token):
            raise PlatformError(
                "--socket-mode needs SLACK_APP_TOKEN (xapp-…) and the Slack settings "
                "(SLACK_SIGNING_SECRET with SLACK_BOT_TOKEN)"
            )
        if not settings.enabled or not settings.slack_signing_secret:
            return None
        from adapters.slack.tokens import SlackConfig

        return SlackConfig(
            signing_secret=settings.slack_signing_secret,
            bot_token=settings.slack_bot_token,
            api_url=settings.slack_api_url,
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            app_token=settings.slack_app_token,
            socket_mode=socket_mode,
        )

    def rate_policy(self, settings: SlackSettings) -> Policy:
        from adapters.slack.limits import rate_policy

        return rate_policy(settings.slack_workspace_rate)

    def transports(self, host: Host, config: SlackConfig) -> Mapping[str, Transport]:
        from adapters.slack import store
        from adapters.slack.tokens import Tokens, installation_store
        from adapters.slack.transport import SlackTransport

        tokens = Tokens(config, installation_store(config, host.database))

        async def coordinator_copy(pair: store.Pair) -> str | None:
            return await store.coordinator_copy(host.sessions, pair)

        return {
            self.name: SlackTransport(
                tokens.token_for,
                base_url=config.api_url,
                coordinator_copy=coordinator_copy,
                forget_token=tokens.forget,
            )
        }

    def adapter(self, host: Host, config: SlackConfig) -> PlatformAdapter:
        from adapters.slack.app import SlackAdapter

        return SlackAdapter(host, config)

    def serve_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--socket-mode",
            action="store_true",
            help="receive Slack events over Socket Mode (SLACK_APP_TOKEN)",
        )

    def add_commands(self, commands: Any) -> None:
        slack = commands.add_parser(self.name, help="Slack app setup")
        actions = slack.add_subparsers(dest="slack_command", required=True, metavar="ACTION")
        manifest = actions.add_parser("manifest", help="print the Slack app manifest")
        manifest.add_argument(
            "--url",
            required=True,
            help="this server's public base URL, e.g. https://mentor.example.org",
        )

    def run_command(self, args: argparse.Namespace) -> int:
        from adapters.slack.manifest import manifest_yaml

        try:
            print(manifest_yaml(args.url), end="")
        except ValueError as exc:
            print(f"mentorbot: {exc}", file=sys.stderr)
            return 2
        return 0


PLATFORM = Slack()
