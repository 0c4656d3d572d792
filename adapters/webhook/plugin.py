"""The webhook transport, as the process sees it: ``OUTBOX_WEBHOOK_URL`` carries every
platform that has no transport of its own here (see :mod:`adapters.plugins`)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from adapters.plugins import Platform, PlatformSettings, http_url

if TYPE_CHECKING:
    from adapters.platform import Host
    from conversations.delivery import Transport


class WebhookSettings(PlatformSettings):
    outbox_webhook_url: str | None = Field(default=None)

    @field_validator("outbox_webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        url = http_url(value)
        return url.rstrip("/") if url else None


class Webhook(Platform[WebhookSettings, str]):
    name = "webhook"
    settings = WebhookSettings
    fallback = True

    def config(
        self, settings: WebhookSettings, options: argparse.Namespace | None = None
    ) -> str | None:
        return settings.outbox_webhook_url

    def transports(self, host: Host, config: str) -> Mapping[str, Transport]:
        from adapters.webhook.transport import WebhookTransport

        return {self.name: WebhookTransport(config)}


PLATFORM = Webhook()
