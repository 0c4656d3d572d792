"""Slack configuration, and where a workspace's bot token comes from."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack import store
from adapters.slack.store import Workspace


@dataclass(frozen=True, slots=True)
class SlackConfig:
    signing_secret: str
    bot_token: str | None = None
    """Single workspace. Without it, ``client_id``/``client_secret`` enable installs."""
    api_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    app_token: str | None = None
    """Socket Mode (``xapp-…``): events over a websocket instead of the request URL."""
    socket_mode: bool = False
    """Connect over Socket Mode when the server starts (``serve --socket-mode``)."""

    @property
    def distributed(self) -> bool:
        return bool(self.client_id and self.client_secret)


def installation_store(
    config: SlackConfig, database: AsyncEngine
) -> AsyncSQLAlchemyInstallationStore | None:
    """Installations live in our database (tables created by our migrations)."""
    if not config.distributed:
        return None
    return store.installations(str(config.client_id), database)


@dataclass
class Tokens:
    config: SlackConfig
    installations: AsyncSQLAlchemyInstallationStore | None

    async def token_for(self, workspace: Workspace) -> str | None:
        """The configured token, or the workspace installation's, refreshed when token
        rotation says it is about to expire."""
        if self.installations is None:
            return self.config.bot_token
        bot = await self.installations.async_find_bot(
            enterprise_id=await store.enterprise_of(self.installations, workspace.external_id),
            team_id=workspace.external_id,
        )
        if bot is None:
            return None
        if bot.bot_refresh_token and self.config.client_id and self.config.client_secret:
            rotator = AsyncTokenRotator(
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
                client=AsyncWebClient(base_url=self.config.api_url or AsyncWebClient.BASE_URL),
            )
            refreshed = await rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=120
            )
            if refreshed is not None:
                await self.installations.async_save_bot(refreshed)
                bot = refreshed
        return bot.bot_token

    async def forget(self, workspace: Workspace) -> None:
        """Slack refused the workspace's token (revoked, or its bot gone): it is deleted at
        once rather than kept for nothing. A configured ``SLACK_BOT_TOKEN`` is the
        operator's to replace; it is not stored here."""
        if self.installations is None:
            return
        team = workspace.external_id
        await store.delete_bot_tokens(
            self.installations,
            enterprise_id=await store.enterprise_of(self.installations, team),
            team_id=team,
        )
