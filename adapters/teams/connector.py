"""The botbuilder ``CloudAdapter`` this bot uses, and what Bot Connector errors mean.

One place builds the adapter from our settings, so the inbound endpoint and the
outbox transport authenticate the same way: with an app id, every inbound request
must carry a Bot Framework token (botbuilder checks it against Microsoft's signing
keys) and every outbound call carries one; without an app id, neither (local
development with the Bot Framework Emulator only).

The outbox dispatcher owns retries and backoff, so the connector client's own
retry policy (msrest retries 5xx responses three times itself) is switched off on
every turn; :func:`classify` then tells the dispatcher what a failure means.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from botbuilder.core import BotAdapter, Middleware, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from msrest.exceptions import HttpOperationError

from conversations.delivery import DeliveryError

UNREACHABLE = frozenset(
    {
        "MessageWritesBlocked",
        "ConversationBlockedByUser",
        "BotDisabledByAdmin",
        "BotNotInConversationRoster",
        "ConversationNotFound",
        "MemberNotFoundInConversation",
        "UserNotFound",
    }
)
"""Codes meaning this conversation cannot take the bot's messages: the person uninstalled
or blocked the bot, an admin turned it off, or the chat no longer exists."""


SERVICE_URLS = (
    "https://smba.trafficmanager.net/",
    "https://smba.infra.gov.teams.microsoft.us/",
    "https://smba.infra.dod.teams.microsoft.us/",
)
"""Teams' Bot Connector endpoints: the public cloud and the US government clouds."""


@dataclass(frozen=True, slots=True)
class TeamsConfig:
    app_id: str | None = None
    app_password: str | None = None
    app_type: str = "MultiTenant"
    tenant_id: str | None = None
    file_url: str | None = None
    """A file server trusted, at the scheme, host and port it names, beside SharePoint's
    own (``TEAMS_FILE_URL``: a proxy, a test's fake server); see ``adapters.downloads``."""
    bot_framework: Mapping[str, Any] = field(default_factory=dict)
    """Extra Bot Framework configuration (e.g. ``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL``
    for a sovereign cloud; tests point it at a local key server)."""
    channels: frozenset[str] = frozenset({"msteams"})
    """The Bot Framework channels whose activities are accepted (``TEAMS_CHANNELS``). One
    bot registration can also be reached through Direct Line or Web Chat, whose clients
    say whatever they like about who and where they are: only Teams says it truthfully."""
    service_urls: tuple[str, ...] = SERVICE_URLS
    """With authentication on, the service URLs activities may name (``TEAMS_SERVICE_URLS``):
    where replies to them go, so only Microsoft's own."""

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    def accepts_service_url(self, url: str) -> bool:
        """Whether replies may go to ``url`` (any, without authentication: the emulator)."""
        return not self.authenticated or url.startswith(self.service_urls)


class _NoSdkRetries(Middleware):  # type: ignore[misc]  # botbuilder is untyped
    """Leave retrying to the outbox: msrest would otherwise retry 5xx answers itself."""

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        policy = getattr(getattr(client, "config", None), "retry_policy", None)
        if policy is not None:
            policy.retries = 0
            # Without this an exhausted (zero) retry budget hides the status of a 5xx
            # answer to a PUT or GET behind a bare ClientRequestError.
            policy.policy.raise_on_status = False
        await logic()


def cloud_adapter(config: TeamsConfig) -> CloudAdapter:
    settings = SimpleNamespace(
        APP_ID=config.app_id or "",
        APP_PASSWORD=config.app_password or "",
        APP_TYPE=config.app_type,
        APP_TENANTID=config.tenant_id or "",
        **dict(config.bot_framework),
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(settings))
    adapter.use(_NoSdkRetries())
    return adapter


def _error_code(exc: HttpOperationError) -> str:
    error = getattr(exc, "error", None)
    inner = getattr(error, "error", None)
    code = getattr(inner, "code", None)
    if code:
        return str(code)
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code") or "")
    return ""


def _retry_after(exc: HttpOperationError) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return max(float(str(headers.get("Retry-After"))), 0.0)
    except (TypeError, ValueError):
        return None


def status_of(exc: HttpOperationError) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def classify(exc: HttpOperationError, *, where: str, channel: bool = False) -> DeliveryError:
    """What the dispatcher should do about a Bot Connector error.

    429 waits for ``Retry-After`` (or backs off); 403/404 with a code saying the chat is
    closed to the bot is permanent: ``unreachable:`` for a person (the engine pauses their
    pairs and tells the coordinators), ``channel:`` for a channel; 401 means the bot's own
    credentials; 400 and 413 the message itself; anything else (412, 5xx…) is retried.
    """
    status = status_of(exc)
    code = _error_code(exc)
    if status == 429:
        return DeliveryError(f"throttled ({where})", retry_after=_retry_after(exc))
    if status in (403, 404) and (code in UNREACHABLE or status == 403):
        prefix = "channel" if channel else "unreachable"
        return DeliveryError(f"{prefix}: {code or status} ({where})", permanent=True)
    if status == 401:
        return DeliveryError(
            f"auth: the Bot Connector refused the bot's token ({code})", permanent=True
        )
    if status in (400, 413):
        return DeliveryError(f"rejected: {code or status} ({where})", permanent=True)
    return DeliveryError(f"teams error: {code or 'no error code'} (HTTP {status}) ({where})")
