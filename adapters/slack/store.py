"""What the Slack adapter keeps in the database, in one place.

Slack's installations (a workspace's bot token, refreshed by token rotation) and the
OAuth ``state`` of an install in progress live in tables our migrations create,
through slack-sdk's SQLAlchemy stores; which events were already handled is shared
with every adapter (:func:`adapters.store.first_time`). Request handling, tokens and
the transport come here instead of running queries of their own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters import store as shared
from adapters.store import Pair, Workspace
from conversations import removal

__all__ = [
    "Pair",
    "Workspace",
    "coordinator_copy",
    "forget_bot",
    "forget_users",
    "forget_workspace",
    "installations",
    "is_removed",
    "oauth_states",
    "reinstalled",
    "removed",
]
PLATFORM = "slack"
STATE_SECONDS = 600
"""How long an install link stays good: Slack's consent screen, then the redirect back."""


def installations(client_id: str, database: AsyncEngine) -> AsyncSQLAlchemyInstallationStore:
    """Each workspace's installation (its bot token), in our database."""
    return AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=database)


def oauth_states(database: AsyncEngine) -> AsyncSQLAlchemyOAuthStateStore:
    """The ``state`` of installs in progress, so a forged redirect back is refused."""
    return AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=database)


async def enterprise_of(
    installations: AsyncSQLAlchemyInstallationStore, team_id: str
) -> str | None:
    """The Enterprise Grid organisation a workspace installed the app under (None outside a
    Grid): slack-sdk finds a bot by enterprise and team together, and a workspace is known
    here by its team id alone."""
    bots = installations.bots.c
    async with installations.engine.connect() as connection:
        found = await connection.scalar(
            select(bots.enterprise_id)
            .where(
                bots.client_id == installations.client_id,
                bots.team_id == team_id,
                bots.bot_token.is_not(None),
            )
            .order_by(bots.installed_at.desc())
            .limit(1)
        )
    return str(found) if found else None


async def coordinator_copy(sessions: async_sessionmaker[AsyncSession], pair: Pair) -> str | None:
    """The adult added to a safeguarded pair's space (a group DM): ``shared.safeguard``."""
    found = await shared.safeguard(sessions, pair)
    return found.platform_user_id if found is not None else None


# -- uninstalls and revoked tokens ------------------------------------------------------------
# Slack's ``app_uninstalled`` and ``tokens_revoked`` events, handled as bolt's built-in
# listeners would (``AsyncInstallationStore.async_delete_all`` / ``async_delete_bot`` /
# ``async_delete_installation``), and the workspace's removal recorded for the engine.


def _teams(enterprise_id: str | None, team_id: str | None) -> list[tuple[str | None, str | None]]:
    """The (enterprise, team) keys a team's tokens may be stored under: as Slack names it
    now, and, for a workspace in an Enterprise Grid, without the enterprise (as it was
    stored if it was installed before joining one, and as ``Tokens.token_for`` looks)."""
    keys = [(enterprise_id, team_id)]
    if enterprise_id is not None and team_id is not None:
        keys.append((None, team_id))
    return keys


async def forget_workspace(
    installations: AsyncSQLAlchemyInstallationStore | None,
    sessions: async_sessionmaker[AsyncSession],
    *,
    enterprise_id: str | None,
    team_id: str | None,
    reason: str,
    now: datetime,
) -> None:
    """The app was uninstalled: every installation and bot token of the team is deleted at
    once, and the workspace recorded as removed, so nothing queued for it is sent."""
    if installations is not None:
        for enterprise, team in _teams(enterprise_id, team_id):
            await installations.async_delete_all(enterprise_id=enterprise, team_id=team)
    await removed(sessions, team=team_id or enterprise_id, reason=reason, now=now)


async def forget_bot(
    installations: AsyncSQLAlchemyInstallationStore | None,
    sessions: async_sessionmaker[AsyncSession],
    *,
    enterprise_id: str | None,
    team_id: str | None,
    reason: str,
    now: datetime,
) -> None:
    """The team's bot token was revoked: it is deleted (:func:`delete_bot_tokens`) and the
    workspace is recorded as removed."""
    if installations is not None:
        await delete_bot_tokens(installations, enterprise_id=enterprise_id, team_id=team_id)
    await removed(sessions, team=team_id or enterprise_id, reason=reason, now=now)


async def delete_bot_tokens(
    installations: AsyncSQLAlchemyInstallationStore,
    *,
    enterprise_id: str | None,
    team_id: str | None,
) -> None:
    """Delete the team's bot token, and with it the copy each installation row keeps.
    Installations' user tokens, which were not revoked, stay."""
    table, c = installations.installations, installations.installations.c
    for enterprise, team in _teams(enterprise_id, team_id):
        await installations.async_delete_bot(enterprise_id=enterprise, team_id=team)
        async with installations.engine.begin() as connection:
            await connection.execute(
                update(table)
                .where(
                    and_(
                        c.client_id == installations.client_id,
                        c.enterprise_id == enterprise,
                        c.team_id == team,
                    )
                )
                .values(bot_token=None, bot_refresh_token=None, bot_token_expires_at=None)
            )


async def forget_users(
    installations: AsyncSQLAlchemyInstallationStore | None,
    *,
    enterprise_id: str | None,
    team_id: str | None,
    user_ids: Collection[str],
) -> None:
    """These people's user tokens were revoked: their installation rows go (the bot's own
    token, if it still works, stays in its own table)."""
    if installations is None:
        return
    for user_id in user_ids:
        for enterprise, team in _teams(enterprise_id, team_id):
            await installations.async_delete_installation(
                enterprise_id=enterprise, team_id=team, user_id=user_id
            )


async def removed(
    sessions: async_sessionmaker[AsyncSession], *, team: str | None, reason: str, now: datetime
) -> None:
    """Record that the app is no longer in this Slack team (see :mod:`conversations.removal`)."""
    if not team:
        return
    async with sessions.begin() as session:
        await removal.workspace_removed(
            session, platform=PLATFORM, external_id=team, reason=reason, now=now
        )


async def reinstalled(sessions: async_sessionmaker[AsyncSession], *, team: str) -> None:
    """A new install of the app: what is queued for the team from now on is sent again."""
    async with sessions.begin() as session:
        await removal.workspace_restored(session, platform=PLATFORM, external_id=team)


async def is_removed(sessions: async_sessionmaker[AsyncSession], *, team: str) -> bool:
    """Whether the app was uninstalled from this team (and not installed again since)."""
    async with sessions() as session:
        return await removal.is_removed(session, platform=PLATFORM, external_id=team)
